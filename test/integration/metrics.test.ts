// /metrics of real jobd nodes (in-process startNode: real Raft over real gRPC,
// the WAL on disk, REST over HTTP; the fake runtime, since this is about the
// control plane): the exposition parses as Prometheus text with HELP/TYPE for
// every family and our naming conventions, two nodes in one process keep
// separate registries, and the counters move when Jobs run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { freePorts } from '../../pkg/node/local-cluster.js';
import { silentNodeLogger } from '../../pkg/node/logger.js';
import { startNode, type JobdNode } from '../../pkg/node/node.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../pkg/store/index.js';
import { isReason, Reason } from '../../pkg/util/errors.js';
import { eventually } from '../support/eventually.js';
import {
  conventionProblems,
  parsePromText,
  sampleSum,
  type PromFamily,
} from '../support/prom-text.js';

const job = (name: string, spec: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name },
  spec: { command: ['echo', name], ...spec },
});

const phaseOf = (o: Resource): string | undefined => (o.status as { phase?: string })?.phase;

async function startSingle(dir: string): Promise<JobdNode> {
  const [grpcPort, httpPort] = await freePorts(2);
  const listen = `127.0.0.1:${grpcPort}`;
  return startNode(
    {
      id: 1,
      listen,
      peers: new Map([[1, listen]]),
      dataDir: dir,
      tickMs: 20,
      electionTick: 6,
      heartbeatTick: 1,
      snapshotEvery: 50_000,
      http: `127.0.0.1:${httpPort}`,
      runtime: 'fake',
      backoffBaseMs: 50,
      labels: {},
    },
    silentNodeLogger,
  );
}

describe('/metrics of a node', { timeout: 120_000 }, () => {
  let dir: string;
  let a: JobdNode;
  let b: JobdNode;
  let client: GrpcClient;

  const scrape = async (node: JobdNode): Promise<Map<string, PromFamily>> => {
    const res = await fetch(`http://${node.httpAddress}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return parsePromText(await res.text());
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-metrics-'));
    // Two nodes (separate one-node clusters) in one process: each has its own
    // registry, so neither registration collides nor do counts mix.
    a = await startSingle(join(dir, 'a'));
    b = await startSingle(join(dir, 'b'));
    await Promise.all([a.raft.waitForLeader(10_000), b.raft.waitForLeader(10_000)]);
    client = new GrpcClient({ servers: a.config.listen });
  });

  after(async () => {
    client?.close();
    await a?.stop();
    await b?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is valid Prometheus text with HELP and TYPE and conventional names', async () => {
    const families = await scrape(a);
    assert.deepEqual(conventionProblems(families), []);
    for (const name of [
      'jobctl_raft_term',
      'jobctl_raft_role',
      'jobctl_raft_commit_index',
      'jobctl_raft_applied_index',
      'jobctl_raft_proposals_committed_total',
      'jobctl_raft_proposals_failed_total',
      'jobctl_raft_append_duration_seconds',
      'jobctl_raft_wal_fsync_duration_seconds',
      'jobctl_raft_snapshots_total',
      'jobctl_raft_snapshot_size_bytes',
      'jobctl_raft_leader_changes_total',
      'jobctl_api_requests_total',
      'jobctl_api_request_duration_seconds',
      'jobctl_api_requests_in_flight',
      'jobctl_api_watches',
      'jobctl_controller_queue_depth',
      'jobctl_controller_reconcile_total',
      'jobctl_controller_reconcile_errors_total',
      'jobctl_controller_reconcile_duration_seconds',
      'jobctl_scheduler_pending_runs',
      'jobctl_scheduler_unschedulable_runs',
      'jobctl_scheduler_placement_duration_seconds',
      'jobctl_agent_container_start_duration_seconds',
      'jobctl_agent_runs_finished_total',
      'jobctl_agent_image_pulls_total',
      'jobctl_runs',
      'jobctl_store_objects',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      const f = families.get(name);
      assert.ok(f, `missing ${name}`);
      assert.ok(f.help && f.type, `${name} has HELP and TYPE`);
    }
    assert.equal(sampleSum(families, 'jobctl_raft_role', { role: 'leader' }), 1);
    assert.ok(sampleSum(families, 'jobctl_raft_term') >= 1);
    assert.ok(sampleSum(families, 'jobctl_raft_leader_changes_total') >= 1);
    assert.ok(sampleSum(families, 'process_resident_memory_bytes') > 0);
  });

  it('the checker rejects what a scraper would', () => {
    assert.throws(() => parsePromText('jobctl_x 1\n'), /without HELP and TYPE/);
    assert.throws(
      () => parsePromText('# HELP jobctl_x x\n# TYPE jobctl_x gauge\njobctl_x{a="1} 1\n'),
      /unterminated/,
    );
    assert.throws(
      () => parsePromText('# HELP jobctl_x x\n# TYPE jobctl_x gauge\njobctl_x one\n'),
      /bad value/,
    );
    const bad = parsePromText('# HELP jobctl_x x\n# TYPE jobctl_x counter\njobctl_x 1\n');
    assert.deepEqual(conventionProblems(bad), ['jobctl_x: counter without _total']);
  });

  it('counters move when jobs run', async () => {
    const before = await scrape(a);
    const otherBefore = await scrape(b);
    const ok = ['m-ok-1', 'm-ok-2', 'm-ok-3'];
    for (const name of ok) await client.apply(job(name));
    await client.apply(job('m-fails', { command: ['sh', '-c', 'exit 3'], backoffLimit: 0 }));
    for (const name of [...ok, 'm-fails']) {
      await eventually(
        `job ${name} finished`,
        async () => {
          const phase = phaseOf(await client.get('Job', 'default', name));
          return phase === 'Succeeded' || phase === 'Failed' ? phase : undefined;
        },
        60_000,
      );
    }
    // One failing request of each transport: counted with its reason.
    await assert.rejects(client.get('Job', 'default', 'no-such-job'), (e) =>
      isReason(e, Reason.NotFound),
    );
    const rest = await fetch(`http://${a.httpAddress}/apis/jobctl.dev/v1/namespaces/default/jobs`);
    assert.equal(rest.status, 200);

    // The agent's final reports are committed asynchronously: wait for them.
    const after = await eventually(
      'the agent reported every Run final',
      async () => {
        const m = await scrape(a);
        return sampleSum(m, 'jobctl_runs', { phase: 'Succeeded' }) === 3 &&
          sampleSum(m, 'jobctl_runs', { phase: 'Failed' }) === 1
          ? m
          : undefined;
      },
      30_000,
    );
    const delta = (name: string, match: Record<string, string> = {}): number =>
      sampleSum(after, name, match) - sampleSum(before, name, match);

    assert.equal(
      delta('jobctl_api_requests_total', {
        transport: 'grpc',
        verb: 'apply',
        resource: 'job',
        code: 'OK',
      }),
      4,
    );
    assert.equal(
      delta('jobctl_api_requests_total', { transport: 'grpc', verb: 'get', code: 'NotFound' }),
      1,
    );
    assert.equal(
      delta('jobctl_api_requests_total', {
        transport: 'rest',
        verb: 'list',
        resource: 'job',
        code: 'OK',
      }),
      1,
    );
    assert.ok(delta('jobctl_api_request_duration_seconds_count', { transport: 'grpc' }) >= 5);
    assert.equal(delta('jobctl_agent_runs_finished_total', { phase: 'Succeeded' }), 3);
    assert.equal(delta('jobctl_agent_runs_finished_total', { phase: 'Failed' }), 1);
    assert.equal(delta('jobctl_agent_container_start_duration_seconds_count'), 4);
    assert.equal(delta('jobctl_scheduler_placement_duration_seconds_count'), 4);
    assert.ok(delta('jobctl_raft_proposals_committed_total') >= 8, 'jobs, runs, statuses');
    assert.ok(delta('jobctl_raft_append_duration_seconds_count') > 0);
    assert.ok(delta('jobctl_raft_wal_fsync_duration_seconds_count') > 0);
    assert.ok(delta('jobctl_raft_wal_written_bytes_total') > 0);
    assert.ok(delta('jobctl_raft_commit_index') >= 8);
    assert.ok(delta('jobctl_controller_reconcile_total', { controller: 'job' }) >= 4);
    assert.ok(delta('jobctl_controller_reconcile_total', { controller: 'scheduler' }) >= 1);
    assert.ok(
      delta('jobctl_controller_reconcile_duration_seconds_count', {
        controller: `agent/${a.agent.nodeName}`,
      }) >= 4,
    );
    assert.equal(sampleSum(after, 'jobctl_store_objects', { kind: 'Job' }), 4);

    // The other node saw none of it.
    const other = await scrape(b);
    for (const name of [
      'jobctl_agent_runs_finished_total',
      'jobctl_agent_container_start_duration_seconds_count',
    ]) {
      assert.equal(sampleSum(other, name) - sampleSum(otherBefore, name), 0, name);
    }
    assert.equal(sampleSum(other, 'jobctl_store_objects', { kind: 'Job' }), 0);
  });
});
