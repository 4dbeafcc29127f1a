// Queue admission: a Job (or CronJob template) naming a Queue in spec.queue is
// refused (reason Invalid, one line naming the field and the queue) when no
// such Queue exists, so a typo fails at apply instead of leaving Runs waiting
// for a queue nobody made. Read from the serving node's copy of the store, as
// policy admission reads SandboxPolicies (see policy-admission.ts for why that
// is enough). A Queue deleted later does not stop Jobs already admitted: their
// Runs wait with a message saying the queue is missing (scheduler/queues.ts).
import type { ResourceClient } from '../client/index.js';
import type { ResourceInput } from '../store/index.js';
import { JobctlError, Reason, isReason } from '../util/errors.js';
import { formatValidationErrors } from './validation/index.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The queue a Job or CronJob template names, and the field that names it. */
export function namedQueue(obj: ResourceInput): { queue: string; at: string } | undefined {
  const spec = obj.spec;
  if (!isObject(spec)) return undefined;
  if (obj.kind === 'Job' && typeof spec.queue === 'string') {
    return { queue: spec.queue, at: 'spec.queue' };
  }
  if (obj.kind === 'CronJob' && isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec)) {
    const q = spec.jobTemplate.spec.queue;
    if (typeof q === 'string') return { queue: q, at: 'spec.jobTemplate.spec.queue' };
  }
  return undefined;
}

/** Throws JobctlError(Invalid) when `obj` names a Queue that does not exist. */
export async function checkQueueExists(obj: ResourceInput, client: ResourceClient): Promise<void> {
  const named = namedQueue(obj);
  if (named === undefined) return;
  try {
    await client.get('Queue', '', named.queue, { consistency: 'stale' });
  } catch (err) {
    if (!isReason(err, Reason.NotFound)) throw err;
    const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
    const line = formatValidationErrors(undefined, obj.kind, name, [
      {
        path: named.at,
        message: `queue "${named.queue}" not found (create the Queue first: jobctl explain queue)`,
      },
    ]);
    throw new JobctlError(Reason.Invalid, line.join('\n'));
  }
}
