// Resource references as users type them: a kind ("jobs", "job", "cj",
// "jobs.jobctl.dev") and "KIND/NAME" pairs ("job/hello"). Resolved against the
// built-in kinds table only (no store code is loaded).
import { defaultKinds, type KindInfo } from '../../store/kinds.js';
import { UsageError } from '../errors.js';

/** The kind a user means; an unknown one fails as kubectl words it (exit 1). */
export function resolveKind(name: string): KindInfo {
  const info = defaultKinds.resolve(name);
  if (!info) throw new Error(`the server doesn't have a resource type "${name}"`);
  return info;
}

export interface Ref {
  readonly info: KindInfo;
  readonly name: string;
}

/** "job/hello" → {Job, hello}; a bare NAME takes `defaultKind` when given. */
export function parseRef(text: string, defaultKind?: string): Ref {
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (defaultKind) return { info: resolveKind(defaultKind), name: text };
    throw new UsageError(
      `arguments in resource/name form must have a single resource and name: "${text}"`,
    );
  }
  const kind = text.slice(0, slash);
  const name = text.slice(slash + 1);
  if (!kind || !name || name.includes('/')) {
    throw new UsageError(
      `arguments in resource/name form must have a single resource and name: "${text}"`,
    );
  }
  return { info: resolveKind(kind), name };
}

/** The namespace to use for a kind: '' for cluster-scoped kinds. */
export function namespaceFor(info: KindInfo, namespace: string): string {
  return info.namespaced ? namespace : '';
}
