// Observability through real processes: a jobd (fake runtime, --log-level
// warn, --http) and the jobctl CLI as child processes, output piped.
//   - `jobctl top nodes` shows the Run booked on the node, without escapes;
//   - `jobctl wait` in a pipe prints its one result line and no spinner;
//   - /metrics of the process parses and counts the gRPC requests made;
//   - every log line is JSON at warn or above, with the node id.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { E2ECluster, eventually } from '../support/cluster.js';
import { parsePromText, sampleSum } from '../support/prom-text.js';

const ESC = String.fromCharCode(27);

describe('observability of a jobd process', { timeout: 180_000 }, () => {
  let c: E2ECluster;

  before(async () => {
    c = await E2ECluster.start({
      nodes: 1,
      runtime: 'fake',
      http: true,
      extraArgs: ['--log-level', 'warn'],
    });
  });

  after(async () => {
    await c?.stop();
  });

  it('top nodes shows a running Run booked on its node', async () => {
    const run = await c.cli(['run', 'top-sleep', '--image', 'busybox', '--', 'sleep', '120']);
    assert.equal(run.code, 0, run.stderr);
    const name = c.member(1).name;
    const out = await eventually(
      'top nodes shows the Run',
      async () => {
        const r = await c.cli(['top', 'nodes']);
        return r.code === 0 && /\s1\/16\s/.test(r.stdout) ? r : undefined;
      },
      60_000,
    );
    const [header, row, ...rest] = out.stdout.trimEnd().split('\n');
    assert.equal(rest.length, 0);
    assert.match(header ?? '', /^NAME\s+STATUS\s+CPU\(alloc\/cap\)\s+CPU%\s+MEMORY\(alloc\/cap\)/);
    assert.match(row ?? '', new RegExp(`^${name}\\s+Ready\\s+500m/\\d+\\s+\\d+%\\s+256Mi/\\d+Mi`));
    assert.ok(!out.stdout.includes(ESC) && out.stderr === '', 'plain output in a pipe');
  });

  it('wait in a pipe writes its result line only (no spinner)', async () => {
    const r = await c.cli(['wait', 'job/top-sleep', '--for=finished', '--timeout=1s']);
    assert.equal(r.code, 5);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: timed out waiting for the condition on jobs/top-sleep\n');
  });

  it('/metrics of the process parses and counts the API requests', async () => {
    const http = c.member(1).http;
    assert.ok(http);
    const scrape = async () => parsePromText(await (await fetch(`http://${http}/metrics`)).text());
    const before = await scrape();
    const get = await c.cli(['get', 'jobs']);
    assert.equal(get.code, 0, get.stderr);
    const after = await scrape();
    const listed = (m: typeof before): number =>
      sampleSum(m, 'jobctl_api_requests_total', {
        transport: 'grpc',
        verb: 'list',
        resource: 'job',
        code: 'OK',
      });
    assert.ok(listed(after) >= listed(before) + 1);
    assert.equal(sampleSum(after, 'jobctl_raft_role', { role: 'leader' }), 1);
    assert.ok(sampleSum(after, 'jobctl_agent_container_start_duration_seconds_count') >= 1);
  });

  it('logs JSON lines at warn and above only, each with the node id', () => {
    // A healthy node may have nothing to warn about; the "listening" line it
    // always writes at info must be filtered out.
    const lines = readFileSync(c.member(1).logFile, 'utf8').split('\n').filter(Boolean);
    assert.ok(!lines.some((l) => l.includes('"msg":"listening"')), 'info lines filtered');
    for (const line of lines) {
      const o = JSON.parse(line) as { level?: string; nodeId?: number; msg?: string };
      assert.ok(o.level === 'warn' || o.level === 'error', line);
      assert.equal(o.nodeId, 1, line);
      assert.equal(typeof o.msg, 'string', line);
    }
  });
});
