// The JSON Schemas in manifests/crds/ are the single source for validation and for
// `jobctl explain`. This module finds and reads them (once) and knows which kinds
// exist; it does not load ajv, so `explain` stays cheap.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobctlError, Reason } from '../../util/errors.js';

export { API_VERSION } from '../../store/types.js';

/** Every kind with its schema file, plural resource name and short names. */
export const KINDS = {
  Job: { file: 'job.json', plural: 'jobs', short: [] as readonly string[] },
  Run: { file: 'run.json', plural: 'runs', short: [] as readonly string[] },
  Node: { file: 'node.json', plural: 'nodes', short: ['no'] as readonly string[] },
  CronJob: { file: 'cronjob.json', plural: 'cronjobs', short: ['cj'] as readonly string[] },
  Event: { file: 'event.json', plural: 'events', short: ['ev'] as readonly string[] },
  SandboxPolicy: {
    file: 'sandboxpolicy.json',
    plural: 'sandboxpolicies',
    short: ['sbp'] as readonly string[],
  },
  Queue: { file: 'queue.json', plural: 'queues', short: [] as readonly string[] },
  // Authentication and authorization (pkg/auth).
  Token: { file: 'token.json', plural: 'tokens', short: [] as readonly string[] },
  RoleBinding: { file: 'rolebinding.json', plural: 'rolebindings', short: [] as readonly string[] },
  ClusterRoleBinding: {
    file: 'clusterrolebinding.json',
    plural: 'clusterrolebindings',
    short: [] as readonly string[],
  },
} as const;
export type Kind = keyof typeof KINDS;

/** Schema files in load order; common.json first since the others $ref it. */
export const SCHEMA_FILES = [
  'common.json',
  'job.json',
  'run.json',
  'node.json',
  'cronjob.json',
  'event.json',
  'sandboxpolicy.json',
  'queue.json',
  'token.json',
  'rolebinding.json',
  'clusterrolebinding.json',
] as const;
export const SCHEMA_BASE = 'https://jobctl.dev/schemas/';

export const KNOWN_KINDS: readonly Kind[] = (Object.keys(KINDS) as Kind[]).sort();

export function isKind(s: unknown): s is Kind {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(KINDS, s);
}

/** Resolves "job", "jobs", "Job", "cj" ... to a kind, or undefined. */
export function kindFromName(name: string): Kind | undefined {
  const lower = name.toLowerCase();
  for (const kind of KNOWN_KINDS) {
    const k = KINDS[kind];
    if (kind.toLowerCase() === lower || k.plural === lower || k.short.includes(lower)) return kind;
  }
  return undefined;
}

/** A JSON Schema node, loosely typed: we only read it. */
export type SchemaNode = { readonly [key: string]: unknown };

let crdDir: string | undefined;
let loaded: ReadonlyMap<string, SchemaNode> | undefined;

/**
 * manifests/crds, found by walking up from this module: it sits at
 * pkg/api/validation in the sources and dist/pkg/api/validation once built, and the
 * npm package ships manifests/ next to dist/.
 */
function findCrdDir(): string {
  if (crdDir !== undefined) return crdDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'manifests', 'crds');
    if (existsSync(join(candidate, 'common.json'))) return (crdDir = candidate);
    dir = dirname(dir);
  }
  throw new JobctlError(
    Reason.Internal,
    'cannot find manifests/crds (the JSON Schemas of jobctl kinds)',
  );
}

/** All schema documents, keyed by file name (job.json ...). Read once. */
export function loadSchemas(): ReadonlyMap<string, SchemaNode> {
  if (loaded !== undefined) return loaded;
  const dir = findCrdDir();
  const map = new Map<string, SchemaNode>();
  for (const file of SCHEMA_FILES) {
    map.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as SchemaNode);
  }
  loaded = map;
  return map;
}
