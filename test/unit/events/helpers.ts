// Shared pieces of the events tests: involved objects and a recorder over a
// test client, all on one FakeClock.
import { newTestClient, type TestClient } from '../../../pkg/client/testing.js';
import { StoreEventRecorder, type StoreEventRecorderOptions } from '../../../pkg/events/index.js';
import { MemoryLogger } from '../../../pkg/reconcile/index.js';
import type { ObjectLike } from '../../../pkg/reconcile/keys.js';
import { API_VERSION, type Event } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';

/** An object to record events about (it need not exist in the store). */
export function involved(
  kind: string,
  name: string,
  uid = `uid-${name}`,
  namespace = 'default',
): ObjectLike {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: kind === 'Node' ? '' : namespace,
      uid,
      labels: {},
      annotations: {},
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: '2023-11-14T22:13:20.000Z',
      ownerReferences: [],
    },
  };
}

export interface RecorderEnv {
  readonly tc: TestClient;
  readonly clock: FakeClock;
  readonly logger: MemoryLogger;
  readonly recorder: StoreEventRecorder;
}

/** How a recorder writes: each event through the client, or a flush as one batch command. */
export type WriteMode = 'client' | 'batch';

export function recorderEnv(
  opts: Partial<StoreEventRecorderOptions> = {},
  mode: WriteMode = 'client',
): RecorderEnv {
  const clock = new FakeClock();
  const tc = newTestClient({ clock });
  const logger = new MemoryLogger();
  let uid = 0;
  const recorder = new StoreEventRecorder({
    client: tc.client,
    clock,
    component: 'job-controller',
    nodeName: 'node-1',
    logger,
    ...(mode === 'batch' ? { proposer: tc.proposer, newUid: () => `event-uid-${++uid}` } : {}),
    ...opts,
  });
  return { tc, clock, logger, recorder };
}

/** Every Event in the store, as typed objects. */
export function storedEvents(tc: TestClient): Event[] {
  return tc.store.list('Event').items.map((o) => o as unknown as Event);
}
