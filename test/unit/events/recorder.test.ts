// StoreEventRecorder: aggregation in memory, periodic flush, dedup by name,
// count bumps, conflicts, bounded memory and never throwing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceClient } from '../../../pkg/client/types.js';
import { StoreEventRecorder, eventName, involvedObjectOf } from '../../../pkg/events/index.js';
import { MemoryLogger } from '../../../pkg/reconcile/index.js';
import { API_VERSION, cloneResource, type Proposer } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import {
  involved,
  recorderEnv as envOf,
  storedEvents,
  type RecorderEnv,
  type WriteMode,
} from './helpers.js';
import type { StoreEventRecorderOptions } from '../../../pkg/events/index.js';

const hello = involved('Job', 'hello');
const T = (ms: number): string => new Date(1_700_000_000_000 + ms).toISOString();

for (const mode of ['client', 'batch'] as const satisfies readonly WriteMode[]) {
  describe(`StoreEventRecorder (${mode} writes)`, () => {
    const recorderEnv = (opts: Partial<StoreEventRecorderOptions> = {}): RecorderEnv =>
      envOf(opts, mode);
    it('aggregates repeats in memory and writes one Event per flush period', async () => {
      const { tc, clock, recorder } = recorderEnv();
      const before = tc.store.revision;
      recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
      clock.advance(50);
      recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
      recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
      assert.equal(tc.store.revision, before, 'nothing is written before the flush period');
      clock.advance(150);
      await recorder.flush();
      const events = storedEvents(tc);
      assert.equal(events.length, 1);
      const [ev] = events;
      assert.ok(ev);
      assert.equal(tc.store.revision, before + 1, 'three occurrences, one write');
      assert.equal(ev.metadata.namespace, 'default');
      assert.equal(
        ev.metadata.name,
        eventName(involvedObjectOf(hello), 'Warning', 'BackOff', 'Back-off restarting failed run'),
      );
      assert.match(ev.metadata.name, /^hello-[0-9a-f]{10}$/);
      assert.deepEqual(ev.spec, {
        involvedObject: { kind: 'Job', namespace: 'default', name: 'hello', uid: 'uid-hello' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed run',
        count: 3,
        firstTimestamp: T(0),
        lastTimestamp: T(50),
        source: { component: 'job-controller', node: 'node-1' },
      });
    });

    it('bumps count and lastTimestamp of the same Event on later flushes', async () => {
      const { tc, clock, recorder } = recorderEnv();
      recorder.record(hello, 'Normal', 'Started', 'Started container');
      clock.advance(200);
      await recorder.flush();
      clock.advance(10_000);
      recorder.record(hello, 'Normal', 'Started', 'Started container');
      recorder.record(hello, 'Normal', 'Started', 'Started container');
      clock.advance(200);
      await recorder.flush();
      const [ev, ...rest] = storedEvents(tc);
      assert.equal(rest.length, 0);
      assert.equal(ev?.spec.count, 3);
      assert.equal(ev?.spec.firstTimestamp, T(200 - 200));
      assert.equal(ev?.spec.lastTimestamp, T(10_200));
      assert.deepEqual(recorder.stats, {
        recorded: 3,
        created: 1,
        updated: 1,
        batches: mode === 'batch' ? 2 : 0,
        dropped: 0,
        pending: 0,
      });
    });

    it('stamps an event with the time it is given (a caller recording after its write)', async () => {
      const { tc, clock, recorder } = recorderEnv();
      clock.advance(1_000);
      recorder.record(hello, 'Normal', 'Scheduled', 'Successfully assigned', clock.now() - 300);
      recorder.forComponent('scheduler').record(hello, 'Normal', 'Scheduled', 'x', clock.now() - 5);
      // A later occurrence stamped earlier never moves lastTimestamp back.
      recorder.record(hello, 'Normal', 'Scheduled', 'Successfully assigned', clock.now() - 900);
      clock.advance(200);
      await recorder.flush();
      const byMessage = new Map(storedEvents(tc).map((e) => [e.spec.message, e.spec]));
      assert.equal(byMessage.get('Successfully assigned')?.firstTimestamp, T(100));
      assert.equal(byMessage.get('Successfully assigned')?.lastTimestamp, T(700));
      assert.equal(byMessage.get('Successfully assigned')?.count, 2);
      assert.equal(byMessage.get('x')?.lastTimestamp, T(995));
    });

    it('keeps distinct events apart: reason, message, type and object all count', async () => {
      const { tc, clock, recorder } = recorderEnv();
      recorder.record(hello, 'Normal', 'Scheduled', 'to node-1');
      recorder.record(hello, 'Normal', 'Scheduled', 'to node-2');
      recorder.record(hello, 'Warning', 'Scheduled', 'to node-1');
      recorder.record(hello, 'Normal', 'Pulling', 'to node-1');
      recorder.record(involved('Job', 'hello', 'other-uid'), 'Normal', 'Scheduled', 'to node-1');
      recorder.record(involved('Run', 'hello-0'), 'Normal', 'Scheduled', 'to node-1');
      clock.advance(200);
      await recorder.flush();
      const events = storedEvents(tc);
      assert.equal(events.length, 6);
      assert.ok(events.every((e) => e.spec.count === 1));
    });

    it('writes nothing and arms no timer while idle; a flush writes a whole batch at once', async () => {
      const { tc, clock, recorder } = recorderEnv();
      const before = tc.store.revision;
      clock.advance(10_000);
      await recorder.flush();
      assert.equal(tc.store.revision, before);
      for (let i = 0; i < 50; i++)
        recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
      assert.equal(recorder.stats.pending, 50);
      assert.equal(tc.store.revision, before);
      clock.advance(200);
      await recorder.flush();
      assert.equal(storedEvents(tc).length, 50);
      assert.equal(recorder.stats.pending, 0);
    });

    it('stores events of cluster-scoped objects (Nodes) in namespace default', async () => {
      const { tc, recorder } = recorderEnv();
      recorder.record(involved('Node', 'node-2'), 'Warning', 'NodeNotReady', 'no heartbeat for 5s');
      await recorder.flush();
      const [ev] = storedEvents(tc);
      assert.equal(ev?.metadata.namespace, 'default');
      assert.deepEqual(ev?.spec.involvedObject, {
        kind: 'Node',
        namespace: '',
        name: 'node-2',
        uid: 'uid-node-2',
      });
    });

    it('forComponent views share the buffer and stamp their own source', async () => {
      const { tc, recorder } = recorderEnv();
      recorder.forComponent('agent').record(hello, 'Normal', 'Pulling', 'Pulling image "busybox"');
      await recorder.flush();
      assert.deepEqual(storedEvents(tc)[0]?.spec.source, { component: 'agent', node: 'node-1' });
    });

    it('re-reads and retries once when someone else bumped the Event (Conflict)', async () => {
      const { tc, clock, recorder } = recorderEnv();
      recorder.record(hello, 'Normal', 'Killing', 'Stopping container');
      await recorder.flush();
      // Another node's recorder bumps the same Event behind this one's back.
      const [stored] = storedEvents(tc);
      assert.ok(stored);
      const other = cloneResource(stored) as unknown as typeof stored;
      other.spec.count = 10;
      await tc.client.update(other as never);
      clock.advance(1000);
      recorder.record(hello, 'Normal', 'Killing', 'Stopping container');
      await recorder.flush();
      assert.equal(storedEvents(tc)[0]?.spec.count, 11);
    });

    it('recreates an Event deleted meanwhile (TTL) with the new occurrences only', async () => {
      const { tc, recorder } = recorderEnv();
      recorder.record(hello, 'Normal', 'Completed', 'done');
      recorder.record(hello, 'Normal', 'Completed', 'done');
      await recorder.flush();
      const [stored] = storedEvents(tc);
      assert.ok(stored);
      await tc.client.delete('Event', 'default', stored.metadata.name);
      recorder.record(hello, 'Normal', 'Completed', 'done');
      await recorder.flush();
      assert.equal(storedEvents(tc)[0]?.spec.count, 1);
    });

    it('continues counting an Event written before a restart (a fresh recorder)', async () => {
      const env1 = recorderEnv();
      env1.recorder.record(hello, 'Warning', 'Failed', 'exit code 1');
      await env1.recorder.stop();
      const again = new StoreEventRecorder({
        client: env1.tc.client,
        clock: env1.clock,
        component: 'job-controller',
        ...(mode === 'batch' ? { proposer: env1.tc.proposer } : {}),
      });
      again.record(hello, 'Warning', 'Failed', 'exit code 1');
      await again.flush();
      const events = storedEvents(env1.tc);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.spec.count, 2);
    });

    it('never throws and never rejects when the client fails; retries, then drops and logs', async () => {
      const clock = new FakeClock();
      const logger = new MemoryLogger();
      let calls = 0;
      const fail = (): never => {
        calls++;
        throw new JobctlError(Reason.Unavailable, 'no leader');
      };
      const client = new Proxy({} as ResourceClient, {
        get: () => async () => fail(),
      });
      const proposer: Proposer = { propose: async () => fail() };
      const recorder = new StoreEventRecorder({
        client,
        clock,
        component: 'agent',
        logger,
        ...(mode === 'batch' ? { proposer } : {}),
      });
      assert.doesNotThrow(() => recorder.record(hello, 'Normal', 'Started', 'x'));
      // A throwing clock must not escape either.
      const badClock = {
        now: (): number => fail(),
        monotonic: () => clock.monotonic(),
        setTimer: (ms: number, fn: () => void) => clock.setTimer(ms, fn),
        sleep: (ms: number) => clock.sleep(ms),
      };
      const bad = new StoreEventRecorder({ client, clock: badClock, component: 'agent', logger });
      assert.doesNotThrow(() => bad.record(hello, 'Normal', 'Started', 'x'));
      assert.equal(bad.stats.dropped, 1);

      for (let i = 0; i < 3; i++) {
        clock.advance(200);
        await recorder.flush();
      }
      assert.ok(calls >= 3);
      assert.equal(recorder.stats.pending, 0);
      assert.equal(recorder.stats.dropped, 1);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.msg === 'writing events failed'));
      await recorder.stop();
    });

    it('keeps at most maxPending events in memory, dropping the oldest (logged)', async () => {
      const { tc, recorder, logger } = recorderEnv({ maxPending: 3 });
      for (let i = 0; i < 5; i++)
        recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
      assert.equal(recorder.stats.pending, 3);
      assert.equal(recorder.stats.dropped, 2);
      await recorder.flush();
      const names = storedEvents(tc)
        .map((e) => e.spec.involvedObject.name)
        .sort();
      assert.deepEqual(names, ['r-2', 'r-3', 'r-4']);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && /dropping the oldest/.test(l.msg)));
    });

    it('stop() flushes what is pending; records after stop are dropped', async () => {
      const { tc, recorder } = recorderEnv();
      recorder.record(hello, 'Normal', 'Scheduled', 'to node-1');
      await recorder.stop();
      assert.equal(storedEvents(tc).length, 1);
      recorder.record(hello, 'Normal', 'Started', 'x');
      await recorder.flush();
      assert.equal(storedEvents(tc).length, 1);
      assert.equal(recorder.stats.dropped, 1);
    });

    it('writes objects that are valid Events (apiVersion, kind, names)', async () => {
      const { tc, recorder } = recorderEnv();
      const long = involved('Run', `${'a'.repeat(60)}-0`);
      recorder.record(long, 'Normal', 'Started', 'x');
      await recorder.flush();
      const [ev] = storedEvents(tc);
      assert.equal(ev?.apiVersion, API_VERSION);
      assert.equal(ev?.kind, 'Event');
      assert.ok((ev?.metadata.name.length ?? 99) <= 63);
    });
  });
}

describe('StoreEventRecorder with a proposer', () => {
  /** A proposer that counts the commands it is given. */
  function counting(env: RecorderEnv): { proposals: () => number; proposer: Proposer } {
    let n = 0;
    return {
      proposals: () => n,
      proposer: {
        propose: (c) => {
          n++;
          return env.tc.proposer.propose(c);
        },
      },
    };
  }

  it('writes every event of a flush as one store command, new and repeated alike', async () => {
    const base = envOf({}, 'batch');
    const { proposals, proposer } = counting(base);
    const recorder = new StoreEventRecorder({
      client: base.tc.client,
      clock: base.clock,
      component: 'agent',
      proposer,
    });
    for (let i = 0; i < 50; i++)
      recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
    await recorder.flush();
    assert.equal(proposals(), 1);
    assert.equal(storedEvents(base.tc).length, 50);
    for (let i = 0; i < 50; i++)
      recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
    recorder.record(hello, 'Normal', 'Completed', 'Job completed');
    await recorder.flush();
    assert.equal(proposals(), 2, 'bumps of 50 written events and one new one: one command');
    const events = storedEvents(base.tc);
    assert.equal(events.length, 51);
    assert.equal(events.filter((e) => e.spec.count === 2).length, 50);
    assert.deepEqual(recorder.stats, {
      recorded: 101,
      created: 51,
      updated: 50,
      batches: 2,
      dropped: 0,
      pending: 0,
    });
  });

  it('merges into an Event another writer created meanwhile (AlreadyExists in the batch)', async () => {
    const { tc, recorder } = envOf({}, 'batch');
    const other = envOf({}, 'client');
    // Another node's recorder wrote the same event into this store first.
    const first = new StoreEventRecorder({
      client: tc.client,
      clock: other.clock,
      component: 'job-controller',
    });
    first.record(hello, 'Warning', 'FailedScheduling', 'no node fits');
    await first.flush();
    recorder.record(hello, 'Warning', 'FailedScheduling', 'no node fits');
    recorder.record(involved('Run', 'r-1'), 'Normal', 'Scheduled', 'to node-1');
    await recorder.flush();
    const events = storedEvents(tc);
    assert.equal(events.length, 2);
    assert.equal(events.find((e) => e.spec.reason === 'FailedScheduling')?.spec.count, 2);
    assert.equal(recorder.stats.dropped, 0);
  });
});
