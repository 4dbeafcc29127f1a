// `apply --dry-run=server` of a Job says where its first Run would be placed
// now, or why it would wait, with the scheduler's own rules
// (previewPlacement: the queues' gate, then node fit) against the Nodes, Runs
// and Queues of the serving node's store. The answer rides on the dry-run
// result as an annotation, so it reaches every client the same way (jobctl
// over gRPC, kubectl over REST, `-o yaml`) without a new field in any API;
// nothing is stored, since a dry run writes nothing.
import type { ResourceClient } from '../client/index.js';
import { newRun, previewPlacement } from '../controllers/index.js';
import {
  DRY_RUN_PLACEMENT_ANNOTATION,
  cloneResource,
  type Job,
  type Node,
  type Queue,
  type Resource,
  type Run,
} from '../store/index.js';

/** The dry-run `job` with where its first Run would go now (read as a stale read). */
export async function withPlacement(
  job: Resource,
  client: ResourceClient,
  nowMs: number,
): Promise<Resource> {
  const j = job as Job;
  if (j.spec.suspend) return annotate(job, 'suspended: no Run would be created');
  const stale = { consistency: 'stale' as const };
  const [nodes, runs, queues] = await Promise.all([
    client.list('Node', stale),
    client.list('Run', stale),
    client.list('Queue', stale),
  ]);
  const input = newRun(j, 0, nowMs);
  const candidate = {
    ...input,
    metadata: {
      ...cloneResource(j.metadata),
      ...input.metadata,
      uid: '',
      creationTimestamp: new Date(nowMs).toISOString(),
    },
    status: { phase: 'Pending' },
  } as Run;
  const preview = previewPlacement(
    candidate,
    nodes.items as Node[],
    runs.items as Run[],
    queues.items as Queue[],
  );
  return annotate(job, preview.message);
}

function annotate(job: Resource, message: string): Resource {
  const copy = cloneResource(job);
  copy.metadata.annotations = {
    ...copy.metadata.annotations,
    [DRY_RUN_PLACEMENT_ANNOTATION]: message,
  };
  return copy;
}
