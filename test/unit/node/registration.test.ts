// Node heartbeats (pkg/node/registration.ts). Regression (found by the chaos suite,
// issue 5): a heartbeat write forwarded to a leader that then died hangs until the
// proposal deadline (5 s); the next heartbeats waited for it, so after a plain leader
// failover a healthy node went silent for longer than the grace period, was marked
// NotReady and its Runs Lost (and run again). Heartbeats must keep coming while an
// earlier one hangs, and a new leader must get one at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceClient } from '../../../pkg/client/types.js';
import type { NodeLogger } from '../../../pkg/node/logger.js';
import { NodeRegistration, type RegistrationOptions } from '../../../pkg/node/registration.js';
import type { Resource } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';

const quiet: NodeLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => quiet,
};

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(): {
  reg: NodeRegistration;
  clock: FakeClock;
  beats: string[];
  hang: { on: boolean };
  leaderChanged: (lead: number) => void;
  release: () => void;
} {
  const clock = new FakeClock();
  const beats: string[] = [];
  const hang = { on: false };
  const stuck: (() => void)[] = [];
  let onLeader: (lead: number) => void = () => {};
  const node = {
    apiVersion: 'jobctl.dev/v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: {}, resourceVersion: '1' },
    spec: {},
  } as unknown as Resource;
  const client = {
    get: async () => node,
    updateStatus: (obj: Resource) => {
      const hb = (obj.status as { heartbeatTime: string }).heartbeatTime;
      beats.push(hb);
      if (hang.on) return new Promise((resolve) => stuck.push(() => resolve(obj)));
      return Promise.resolve(obj);
    },
  } as unknown as ResourceClient;
  const raft = {
    leader: () => 1,
    status: () => ({ id: 1, role: 'follower', term: 2 }),
    onLeaderChange: (cb: (lead: number) => void) => {
      onLeader = cb;
      return () => {};
    },
  } as unknown as RegistrationOptions['raft'];
  const reg = new NodeRegistration({
    client,
    raft,
    name: 'n1',
    labels: {},
    address: '127.0.0.1:1',
    capacity: { cpu: '1', memory: '1Mi', runs: 1 },
    intervalMs: 500,
    clock,
    logger: quiet,
  });
  return {
    reg,
    clock,
    beats,
    hang,
    leaderChanged: (lead) => onLeader(lead),
    release: () => stuck.splice(0).forEach((f) => f()),
  };
}

test('heartbeats keep coming every interval while an earlier write hangs', async () => {
  const { reg, clock, beats, hang, release } = setup();
  reg.start();
  await flush();
  assert.equal(beats.length, 1);
  hang.on = true; // the next write is forwarded to a leader that is about to die
  clock.advance(500);
  await flush();
  assert.equal(beats.length, 2);
  hang.on = false;
  for (let i = 0; i < 4; i++) {
    clock.advance(500);
    await flush();
  }
  // Without waiting for the hung write: one heartbeat per interval.
  assert.equal(beats.length, 6);
  release();
  await reg.stop();
});

test('a new leader gets a heartbeat at once, even with one hanging', async () => {
  const { reg, clock, beats, hang, leaderChanged, release } = setup();
  reg.start();
  await flush();
  hang.on = true;
  clock.advance(500);
  await flush();
  assert.equal(beats.length, 2);
  hang.on = false;
  leaderChanged(3);
  await flush();
  assert.equal(beats.length, 3);
  release();
  await reg.stop();
});

test('stop waits for the writes in flight and no heartbeat follows', async () => {
  const { reg, clock, beats, hang, release } = setup();
  reg.start();
  await flush();
  hang.on = true;
  clock.advance(500);
  await flush();
  let stopped = false;
  const stopping = reg.stop().then(() => (stopped = true));
  await flush();
  assert.equal(stopped, false);
  release();
  await stopping;
  const n = beats.length;
  clock.advance(5000);
  await flush();
  assert.equal(beats.length, n);
});
