// Sandbox policy evaluation (pure): which relaxations of the strict sandbox a
// container spec asks for, and whether the SandboxPolicies of its namespace
// allow them. The API server (./policy-admission.ts) reads the policies and
// calls this; the rules themselves live here so they can be tested alone.
//
// Semantics (manifests/crds/sandboxpolicy.json says the same to users):
// - No policy in the namespace: the strict sandbox only (network none, read-only
//   root, user 65534:65534), any image, no cap on cpu or memory.
// - Several policies: a request is allowed if any policy allows it (union of
//   the allow lists, the largest cap, no image restriction if any policy has none).
import type { ContainerSpec, SandboxPolicy } from '../store/index.js';
import { parseCpu, parseMemory } from '../util/quantity.js';
import type { FieldError } from './validation/messages.js';

/** The user the strict sandbox runs as (nobody). */
export const STRICT_USER = '65534:65534';
const NOBODY = 65534;

/** What all the policies of one namespace allow together. */
export interface EffectivePolicy {
  /** "ns/name" of every policy combined; empty: the namespace has none. */
  readonly sources: readonly string[];
  readonly namespace: string;
  readonly allowNetwork: readonly string[];
  readonly allowWritableRootFilesystem: boolean;
  readonly allowRootUser: boolean;
  readonly allowUsers: readonly string[];
  /** Largest cpu in millicores / memory in bytes, with the text as written; undefined: no cap. */
  readonly maxCpu?: { readonly millicores: number; readonly text: string };
  readonly maxMemory?: { readonly bytes: number; readonly text: string };
  /** Image prefixes; undefined: any image. */
  readonly allowImages?: readonly string[];
}

/** The strict sandbox: what a namespace without SandboxPolicy allows. */
export function strictPolicy(namespace: string): EffectivePolicy {
  return {
    sources: [],
    namespace,
    allowNetwork: ['none'],
    allowWritableRootFilesystem: false,
    allowRootUser: false,
    allowUsers: [],
  };
}

type Cap = { readonly value: number; readonly text: string } | undefined | null;

/** Combines a namespace's policies: any policy allowing a relaxation allows it. */
export function effectivePolicy(
  namespace: string,
  policies: readonly SandboxPolicy[],
): EffectivePolicy {
  if (policies.length === 0) return strictPolicy(namespace);
  const network = new Set<string>(['none']);
  const users = new Set<string>();
  let writable = false;
  let root = false;
  // null: some policy sets no cap (so there is none); undefined: none seen yet.
  let cpu: Cap;
  let memory: Cap;
  let images: Set<string> | null = new Set();
  const widest = (cap: Cap, raw: unknown, parse: (q: string | number) => number): Cap => {
    if (cap === null || raw === undefined) return null;
    const value = parse(raw as string | number);
    return cap === undefined || value > cap.value ? { value, text: String(raw) } : cap;
  };
  for (const p of policies) {
    const s = p.spec ?? {};
    for (const n of s.allowNetwork ?? []) network.add(n);
    for (const u of s.allowUsers ?? []) users.add(u);
    writable ||= s.allowWritableRootFilesystem === true;
    root ||= s.allowRootUser === true;
    cpu = widest(cpu, s.maxResources?.cpu, parseCpu);
    memory = widest(memory, s.maxResources?.memory, parseMemory);
    if (s.allowImages === undefined) images = null;
    else if (images !== null) for (const i of s.allowImages) images.add(i);
  }
  return {
    sources: policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
    namespace,
    allowNetwork: [...network].sort((a, b) => (a === 'none' ? -1 : b === 'none' ? 1 : 0)),
    allowWritableRootFilesystem: writable,
    allowRootUser: root,
    allowUsers: [...users],
    ...(cpu ? { maxCpu: { millicores: cpu.value, text: cpu.text } } : {}),
    ...(memory ? { maxMemory: { bytes: memory.value, text: memory.text } } : {}),
    ...(images !== null ? { allowImages: [...images] } : {}),
  };
}

/** "by SandboxPolicy "ns/p"" or "in namespace "ns", which has no SandboxPolicy". */
function whoRefuses(p: EffectivePolicy): string {
  if (p.sources.length === 0) {
    return `in namespace ${JSON.stringify(p.namespace)}, which has no SandboxPolicy (the strict sandbox only)`;
  }
  const names = p.sources.map((s) => JSON.stringify(s)).join(', ');
  return `by SandboxPolicy${p.sources.length > 1 ? ' (any of)' : ''} ${names}`;
}

const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;

/** uid and gid of "UID[:GID]" (gid undefined when absent). */
function parseUser(user: string): { uid: number; gid: number | undefined } {
  const [uid, gid] = user.split(':');
  return { uid: Number(uid), gid: gid === undefined ? undefined : Number(gid) };
}

/** Whether `user` is allowed, and the rule that decides when it is not. */
function userRule(user: string, p: EffectivePolicy): string | undefined {
  const { uid, gid } = parseUser(user);
  if (uid === 0 || gid === 0) return p.allowRootUser ? undefined : 'allowRootUser: false';
  if (uid === NOBODY && (gid === undefined || gid === NOBODY)) return undefined;
  const ok = p.allowUsers.some(
    (a) => a === '*' || a === user || (!a.includes(':') && Number(a) === uid),
  );
  return ok ? undefined : `allowUsers: ${list(p.allowUsers)}`;
}

/** The parts of a container spec the policy looks at (spec.image may be absent on a Run). */
export type PolicyInput = Partial<Pick<ContainerSpec, 'image' | 'resources' | 'sandbox'>>;

/**
 * Every relaxation in `spec` that `policy` does not allow, each with its path
 * (under `at`, e.g. "spec" or "spec.jobTemplate.spec") and the rule that blocked it.
 */
export function sandboxViolations(
  spec: PolicyInput,
  policy: EffectivePolicy,
  at = 'spec',
): FieldError[] {
  const errors: FieldError[] = [];
  const refuse = (path: string, what: string, rule: string, verb = 'is not allowed'): void => {
    errors.push({
      path: `${at}.${path}`,
      message: `${what} ${verb} ${whoRefuses(policy)} (${rule})`,
    });
  };
  const sb = spec.sandbox;
  const network = sb?.network ?? 'none';
  if (!policy.allowNetwork.includes(network)) {
    refuse(
      'sandbox.network',
      JSON.stringify(network),
      `allowNetwork: ${list(policy.allowNetwork)}`,
    );
  }
  if (sb?.readOnlyRootFilesystem === false && !policy.allowWritableRootFilesystem) {
    refuse('sandbox.readOnlyRootFilesystem', 'false', 'allowWritableRootFilesystem: false');
  }
  const user = sb?.user || STRICT_USER;
  const userBlock = userRule(user, policy);
  if (userBlock !== undefined) {
    const { uid, gid } = parseUser(user);
    const root = uid === 0 || gid === 0 ? ' (root)' : '';
    refuse('sandbox.user', `${JSON.stringify(user)}${root}`, userBlock);
  }
  const cpu = spec.resources?.cpu;
  if (policy.maxCpu && cpu !== undefined && parseCpu(cpu) > policy.maxCpu.millicores) {
    refuse(
      'resources.cpu',
      JSON.stringify(String(cpu)),
      `maxResources.cpu: ${policy.maxCpu.text}`,
      'is over the cap set',
    );
  }
  const memory = spec.resources?.memory;
  if (policy.maxMemory && memory !== undefined && parseMemory(memory) > policy.maxMemory.bytes) {
    refuse(
      'resources.memory',
      JSON.stringify(String(memory)),
      `maxResources.memory: ${policy.maxMemory.text}`,
      'is over the cap set',
    );
  }
  const image = spec.image;
  if (policy.allowImages && image !== undefined) {
    if (!policy.allowImages.some((prefix) => image.startsWith(prefix))) {
      refuse('image', JSON.stringify(image), `allowImages: ${list(policy.allowImages)}`);
    }
  }
  return errors;
}
