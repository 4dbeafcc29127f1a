// Writes what gateQueues (queues.ts) says each Queue's status should be, only
// for the Queues whose status differs, each guarded by the Queue's
// resourceVersion (a Queue changed meanwhile gives Conflict; the next pass,
// which its event triggers, writes again).
import type { ResourceClient } from '../../client/index.js';
import { jsonEqual, type Queue, type QueueStatus } from '../../store/index.js';

export class QueueStatusWriter {
  constructor(private readonly client: ResourceClient) {}

  /** One promise per Queue whose status changes (none in a steady state). */
  write(queues: readonly Queue[], wanted: ReadonlyMap<string, QueueStatus>): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    for (const q of queues) {
      const status = wanted.get(q.metadata.name);
      if (!status || jsonEqual(q.status ?? {}, status)) continue;
      const { name, namespace, uid, resourceVersion } = q.metadata;
      writes.push(
        this.client.updateStatus({
          apiVersion: q.apiVersion,
          kind: 'Queue',
          metadata: { name, namespace, uid, resourceVersion },
          status,
        }),
      );
    }
    return writes;
  }
}
