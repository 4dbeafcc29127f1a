// Shared fixtures for the validation tests.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatValidationErrors, validateManifest } from '../../../../pkg/api/validation/index.js';

export type Obj = Record<string, unknown>;

/** A minimal valid Job; each call returns a fresh copy. */
export function job(): Obj {
  return {
    apiVersion: 'jobctl.dev/v1',
    kind: 'Job',
    metadata: { name: 'hello' },
    spec: { image: 'busybox:latest', command: ['echo', 'hello'] },
  };
}

/** A minimal valid CronJob. */
export function cronJob(): Obj {
  return {
    apiVersion: 'jobctl.dev/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly' },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { command: ['true'] } } },
  };
}

/** The error lines the CLI would print for `obj` read from job.yaml ([] if valid). */
export function errorLines(obj: unknown): string[] {
  const r = validateManifest(obj, { source: 'job.yaml' });
  return r.ok ? [] : formatValidationErrors(r.source, r.kind, r.name, r.errors);
}

/** The repository root (holding manifests/), found from the compiled test's location. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'manifests', 'crds'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

/**
 * A copy of `base` with dotted paths set ({'spec.completions': 0}); undefined deletes.
 * Missing intermediate objects are created.
 */
export function withFields(base: Obj, changes: Record<string, unknown>): Obj {
  const copy = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Obj;
    }
    const last = keys.at(-1) as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}
