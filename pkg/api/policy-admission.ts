// Policy admission: the second step of admission, after the pure validation of
// ./admission.ts. It reads the SandboxPolicies of the object's namespace through
// the node's client and refuses (reason Forbidden) a Job or CronJob whose
// container spec asks for a relaxation none of them allows, naming the rule
// (./sandbox-policy.ts has the rules).
//
// Policies are read from the serving node's copy of the store (a stale read):
// a write returns once applied on the node that served it, so a policy applied
// through a node governs the next request to that node; other nodes follow
// within a replication round. Kubernetes admission reads from caches the same way.
import type { ResourceClient } from '../client/index.js';
import type { ResourceInput, SandboxPolicy } from '../store/index.js';
import { JobctlError, Reason } from '../util/errors.js';
import { effectivePolicy, sandboxViolations, type PolicyInput } from './sandbox-policy.js';
import { formatValidationErrors } from './validation/index.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The container spec a kind carries and where, or undefined for kinds without one under policy. */
function policedSpec(obj: ResourceInput): { spec: PolicyInput; at: string } | undefined {
  const spec = obj.spec;
  if (!isObject(spec)) return undefined;
  if (obj.kind === 'Job') return { spec: spec as PolicyInput, at: 'spec' };
  if (obj.kind === 'CronJob' && isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec)) {
    return { spec: spec.jobTemplate.spec as PolicyInput, at: 'spec.jobTemplate.spec' };
  }
  return undefined;
}

/** The SandboxPolicies of one namespace, from the serving node's store. */
export async function namespacePolicies(
  client: ResourceClient,
  namespace: string,
): Promise<readonly SandboxPolicy[]> {
  const res = await client.list('SandboxPolicy', { namespace, consistency: 'stale' });
  return res.items;
}

/**
 * Throws JobctlError(Forbidden), one line per blocked relaxation, when the
 * policies of `obj`'s namespace do not allow its sandbox. `obj` has passed
 * validation (defaults filled in).
 */
export async function checkSandboxPolicy(
  obj: ResourceInput,
  client: ResourceClient,
): Promise<void> {
  const target = policedSpec(obj);
  if (target === undefined) return;
  const namespace = obj.metadata.namespace || 'default';
  const policy = effectivePolicy(namespace, await namespacePolicies(client, namespace));
  const errors = sandboxViolations(target.spec, policy, target.at);
  if (errors.length === 0) return;
  const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
  throw new JobctlError(
    Reason.Forbidden,
    formatValidationErrors(undefined, obj.kind, name, errors).join('\n'),
  );
}
