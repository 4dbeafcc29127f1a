// The order of a node's parts (pkg/node/node.ts buildNode): stop runs it
// backwards, so each part must be listed after everything it still needs
// while it stops.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildNode } from '../../../pkg/node/node.js';
import { Lifecycle } from '../../../pkg/node/lifecycle.js';
import { silentNodeLogger } from '../../../pkg/node/logger.js';

describe('buildNode parts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-parts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the event recorder after the agent and controllers, before the API and Raft', async () => {
    const listen = '127.0.0.1:0';
    const built = await buildNode(
      {
        id: 1,
        listen,
        peers: new Map([[1, listen]]),
        dataDir: join(dir, 'node'),
        tickMs: 20,
        electionTick: 6,
        heartbeatTick: 1,
        snapshotEvery: 50_000,
        runtime: 'fake',
        labels: {},
      },
      silentNodeLogger,
    );
    const stopOrder = built.components.map((c) => c.name).reverse();
    const at = (name: string): number => {
      const i = stopOrder.indexOf(name);
      assert.notEqual(i, -1, `no part named ${name}: ${stopOrder.join(', ')}`);
      return i;
    };
    assert.ok(at('events') > at('agent'), 'agent stops before events');
    assert.ok(at('events') > at('controllers'), 'controllers stop before events');
    assert.ok(at('events') < at('api'), 'events are written before the API client closes');
    assert.ok(at('events') < at('raft'), 'events are written while Raft still runs');
    await new Lifecycle(built.components).stop();
  });
});
