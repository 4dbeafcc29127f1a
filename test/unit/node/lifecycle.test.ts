// A node's parts start in list order and stop in reverse; a failed start
// stops what already started; a failed stop does not keep the others open.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lifecycle, type Component } from '../../../pkg/node/lifecycle.js';

function parts(log: string[], names: string[], fail: { start?: string; stop?: string } = {}) {
  return names.map((name): Component => ({
    name,
    start: async () => {
      log.push(`start ${name}`);
      if (fail.start === name) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
      if (fail.stop === name) throw new Error(`${name} cannot stop`);
    },
  }));
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse, once', async () => {
    const log: string[] = [];
    const l = new Lifecycle(parts(log, ['storage', 'raft', 'api']));
    await l.start();
    await Promise.all([l.stop(), l.stop()]);
    assert.deepEqual(log, [
      'start storage',
      'start raft',
      'start api',
      'stop api',
      'stop raft',
      'stop storage',
    ]);
  });

  it('stops the started parts (the failing one included) when a start fails', async () => {
    const log: string[] = [];
    const l = new Lifecycle(parts(log, ['storage', 'server', 'raft'], { start: 'server' }));
    await assert.rejects(l.start(), /server cannot start/);
    assert.deepEqual(log, ['start storage', 'start server', 'stop server', 'stop storage']);
  });

  it('stops every part past a failing stop, then reports the failure', async () => {
    const log: string[] = [];
    const l = new Lifecycle(parts(log, ['storage', 'raft', 'api'], { stop: 'raft' }));
    await l.start();
    await assert.rejects(l.stop(), /raft cannot stop/);
    assert.deepEqual(log.slice(3), ['stop api', 'stop raft', 'stop storage']);
  });

  it('starts nothing more once stop was called', async () => {
    const log: string[] = [];
    const names = ['a', 'b'];
    const self: { l?: Lifecycle } = {};
    const list: Component[] = [
      { name: 'a', start: () => void self.l?.stop(), stop: () => void log.push('stop a') },
      ...parts(log, names.slice(1)),
    ];
    const l = (self.l = new Lifecycle(list));
    await l.start();
    await l.stop();
    assert.deepEqual(log, ['stop a']);
  });
});
