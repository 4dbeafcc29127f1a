// ApiService: admission (validation with every error at once, defaults, limits,
// unknown kinds), the read paths (linearizable through the barrier, stale
// without), immutable fields and --force, and errors passing through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiService } from '../../../pkg/api/service.js';
import { LocalClient } from '../../../pkg/client/local.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  API_VERSION,
  DRY_RUN_PLACEMENT_ANNOTATION,
  ResourceStore,
  type Job,
  type Proposer,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { rejectsWith } from '../client/contract.js';

function service(opts: { barrier?: () => void; defaultImage?: string } = {}) {
  const t = newTestClient({
    readBarrier: async () => opts.barrier?.(),
  });
  const api = new ApiService({ inner: t.client, defaultImage: opts.defaultImage ?? 'img:default' });
  return { api, store: t.store, inner: t.client };
}

function job(name: string, spec: Record<string, unknown> = {}): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name },
    spec: { command: ['echo', 'hi'], ...spec },
  };
}

const asJob = (o: unknown): Job => o as Job;

describe('ApiService admission', () => {
  it('reports every validation error at once, one line each with its path', async () => {
    const { api, store } = service();
    const bad = {
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: { name: 'Bad_Name' },
      spec: { command: ['x'], completions: 0, parallelism: 'two', bogus: true },
    } as unknown as ResourceInput;
    await assert.rejects(api.create(bad), (err: unknown) => {
      assert.ok(err instanceof JobctlError);
      assert.equal(err.reason, Reason.Invalid);
      const lines = err.message.split('\n');
      assert.ok(lines.length >= 4, err.message);
      assert.ok(
        lines.every((l) => l.startsWith('Job "Bad_Name": ')),
        err.message,
      );
      for (const path of ['metadata.name', 'spec.completions', 'spec.parallelism', 'spec.bogus']) {
        assert.ok(
          lines.some((l) => l.includes(`: ${path}: `)),
          `no error for ${path}:\n${err.message}`,
        );
      }
      return true;
    });
    assert.equal(store.revision, 0, 'nothing was proposed');
  });

  it('fills server and schema defaults; a new Job starts Pending', async () => {
    const { api } = service({ defaultImage: 'busybox:1.36' });
    const created = asJob(await api.create(job('a', { command: 'echo hi' })));
    assert.equal(created.spec.image, 'busybox:1.36');
    assert.deepEqual(created.spec.command, ['sh', '-c', 'echo hi']);
    assert.equal(created.spec.parallelism, 1);
    assert.equal(created.spec.completions, 1);
    assert.deepEqual(created.spec.resources, { cpu: '500m', memory: '256Mi' });
    assert.equal(created.status.phase, 'Pending');
    const applied = await api.apply(job('b', { image: 'alpine:3' }));
    assert.equal(applied.outcome, 'created');
    assert.equal(asJob(applied.object).spec.image, 'alpine:3');
    assert.equal(asJob(applied.object).status.phase, 'Pending');
    // Re-applying the same manifest (default image filled again) changes nothing.
    assert.equal((await api.apply(job('a', { command: 'echo hi' }))).outcome, 'unchanged');
  });

  it('a Job created suspended is stored Suspended with its condition, stamped by the clock', async () => {
    const t = newTestClient();
    const nowMs = Date.parse('2026-01-02T03:04:05.000Z');
    const api = new ApiService({ inner: t.client, defaultImage: 'img', nowMs: () => nowMs });
    for (const write of ['create', 'apply'] as const) {
      const input = job(`s-${write}`, { suspend: true });
      const stored = asJob(
        write === 'create' ? await api.create(input) : (await api.apply(input)).object,
      );
      assert.equal(stored.status.phase, 'Suspended');
      assert.deepEqual(stored.status.conditions, [
        {
          type: 'Suspended',
          status: 'True',
          reason: 'JobSuspended',
          message: 'Job suspended',
          lastTransitionTime: '2026-01-02T03:04:05.000Z',
        },
      ]);
      assert.equal(stored.status.active, 0);
    }
  });

  it('fills the default image into CronJob templates', async () => {
    const { api } = service({ defaultImage: 'busybox:1.36' });
    const cj = await api.create({
      apiVersion: API_VERSION,
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { command: ['true'] } } },
    });
    const tmpl = (cj.spec as { jobTemplate: { spec: { image: string } } }).jobTemplate.spec;
    assert.equal(tmpl.image, 'busybox:1.36');
  });

  it('refuses unknown kinds and bad apiVersions', async () => {
    const { api } = service();
    await rejectsWith(
      api.apply({ apiVersion: API_VERSION, kind: 'Widget', metadata: { name: 'w' } }),
      'Invalid',
      /kind: unknown kind "Widget" \(known kinds: ClusterRoleBinding, CronJob, Event, Job, Node, Queue, RoleBinding, Run, SandboxPolicy, Token\)/,
    );
    await rejectsWith(
      api.create({ ...job('a'), apiVersion: 'v1' }),
      'Invalid',
      /apiVersion: unknown apiVersion "v1" \(use jobctl\.dev\/v1\)/,
    );
  });

  it('refuses an object over 256 KiB and a command over 64 KiB with a clear message', async () => {
    const { api } = service();
    const big = job('big', { env: { BLOB: 'x'.repeat(300 * 1024) } });
    await rejectsWith(
      api.create(big),
      'Invalid',
      /object is \d+ bytes \(as JSON\), over the limit of 262144 bytes \(256 KiB\)/,
    );
    const longCommand = job('long', { command: ['echo', 'y'.repeat(70 * 1024)] });
    await rejectsWith(api.apply(longCommand), 'Invalid', /spec\.command: .*64 KiB/);
  });

  it('treats Node as cluster-scoped (no namespace), and lets any caller write Nodes and Runs', async () => {
    const { api } = service();
    const node = await api.create({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: 'node-1', namespace: 'default', labels: { disk: 'ssd' } },
      spec: {},
    });
    assert.equal(node.metadata.namespace, '');
    const got = await api.get('nodes', '', 'node-1');
    assert.deepEqual(got.metadata.labels, { disk: 'ssd' });
    const st = await api.updateStatus({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        capacity: { cpu: '2', memory: '1Gi', runs: 16 },
      },
    });
    assert.equal((st.status as { capacity: { runs: number } }).capacity.runs, 16);
    await rejectsWith(
      api.updateStatus({
        apiVersion: API_VERSION,
        kind: 'Node',
        metadata: { name: 'node-1' },
        status: { capacity: { cpu: 'lots' } },
      }),
      'Invalid',
      /status\.capacity\.cpu/,
    );
  });

  it('refuses immutable changes unless forced', async () => {
    const { api } = service();
    const first = await api.apply(job('a', { image: 'busybox:1' }));
    await rejectsWith(
      api.apply(job('a', { image: 'busybox:2' })),
      'Invalid',
      /spec\.image: field is immutable/,
    );
    await rejectsWith(api.update(job('a', { image: 'busybox:2' })), 'Invalid', /immutable/);
    const forced = await api.apply(job('a', { image: 'busybox:2' }), { force: true });
    assert.equal(forced.outcome, 'configured');
    assert.notEqual(forced.object.metadata.uid, first.object.metadata.uid);
    assert.equal(asJob(forced.object).status.phase, 'Pending');
    // Mutable fields change freely.
    const scaled = await api.apply(job('a', { image: 'busybox:2', parallelism: 3 }));
    assert.equal(scaled.outcome, 'configured');
  });

  it('dry-runs through admission without writing', async () => {
    const { api, store } = service();
    const dry = await api.apply(job('a'), { dryRun: 'server' });
    assert.equal(dry.outcome, 'created');
    assert.equal(asJob(dry.object).spec.image, 'img:default');
    assert.equal(store.revision, 0);
    await rejectsWith(api.apply(job('BAD'), { dryRun: 'server' }), 'Invalid');
  });

  it('refuses a Job or CronJob template naming a Queue that does not exist, in one line', async () => {
    const { api, store } = service();
    await assert.rejects(api.apply(job('q', { queue: 'batch' })), (err: unknown) => {
      assert.ok(err instanceof JobctlError);
      assert.equal(err.reason, Reason.Invalid);
      assert.equal(
        err.message,
        'Job "q": spec.queue: queue "batch" not found (create the Queue first: jobctl explain queue)',
      );
      return true;
    });
    const cron = {
      apiVersion: API_VERSION,
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { command: ['true'], queue: 'batch' } },
      },
    };
    await assert.rejects(
      api.create(cron),
      /spec\.jobTemplate\.spec\.queue: queue "batch" not found/,
    );
    assert.equal(store.revision, 0, 'nothing was proposed');
    // Once the Queue exists (cluster-scoped: any namespace given is ignored), both are admitted.
    await api.create({
      apiVersion: API_VERSION,
      kind: 'Queue',
      metadata: { name: 'batch', namespace: 'team-a' },
      spec: { maxRunning: 2 },
    });
    const queued = asJob((await api.apply(job('q', { queue: 'batch' }))).object);
    assert.equal(queued.spec.queue, 'batch');
    await api.create(cron);
    // The queue a Job joined cannot change (its Runs carry it): apply --force recreates.
    await assert.rejects(api.apply(job('q', {})), /spec\.queue/);
  });
});

describe('ApiService server dry run of a Job', () => {
  const node = (name: string, memory: string, o: { cordoned?: boolean } = {}): ResourceInput => ({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name },
    spec: o.cordoned ? { unschedulable: true } : {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      allocatable: { cpu: '4', memory, runs: 10 },
      capacity: { cpu: '4', memory, runs: 10 },
    },
  });
  const placement = (o: unknown): string | undefined =>
    (o as Job).metadata.annotations[DRY_RUN_PLACEMENT_ANNOTATION];

  it('says where the first Run would be placed now, or why not, and stores nothing', async () => {
    const { api, store, inner } = service();
    await inner.create(node('n1', '1Gi'));
    await inner.create(node('n2', '4Gi'));
    await inner.create(node('n3', '8Gi', { cordoned: true }));
    const small = await api.apply(job('small'), { dryRun: 'server' });
    assert.equal(placement(small.object), 'would be placed on n2', 'the least allocated');
    const big = await api.apply(job('big', { resources: { cpu: '1', memory: '6Gi' } }), {
      dryRun: 'server',
    });
    assert.equal(
      placement(big.object),
      '0/3 nodes available: 2 insufficient memory, 1 node(s) were unschedulable',
    );
    assert.equal((await inner.list('Job')).items.length, 0, 'a dry run stores nothing');
    const rev = store.revision;
    // A real apply carries no such annotation.
    const real = await api.apply(job('small'));
    assert.equal(placement(real.object), undefined);
    assert.ok(store.revision > rev);
  });

  it('says when the queue is full, with the place the Run would take', async () => {
    const { api, inner } = service();
    await inner.create(node('n1', '8Gi'));
    await api.create({
      apiVersion: API_VERSION,
      kind: 'Queue',
      metadata: { name: 'batch' },
      spec: { maxRunning: 1 },
    });
    // One Run of the queue bound, one waiting: the dry-run Job's Run would wait behind it.
    for (const [name, nodeName] of [
      ['a-0', 'n1'],
      ['b-0', ''],
    ] as const) {
      await inner.create({
        apiVersion: API_VERSION,
        kind: 'Run',
        metadata: { name },
        spec: {
          jobName: name.slice(0, 1),
          jobUid: 'j',
          attempt: 0,
          nodeName,
          queue: 'batch',
          container: { image: 'busybox', resources: { cpu: '500m', memory: '256Mi' } },
        },
        status: { phase: nodeName ? 'Running' : 'Pending' },
      });
    }
    const r = await api.apply(job('c', { queue: 'batch' }), { dryRun: 'server' });
    assert.equal(placement(r.object), 'queue batch is full (1/1 running), position 2 of 2');
  });
});

describe('ApiService reads', () => {
  it('passes linearizable reads through the barrier and stale reads around it', async () => {
    let barriers = 0;
    const { api } = service({ barrier: () => barriers++ });
    await api.create(job('a'));
    await api.get('job', 'default', 'a');
    await api.list('jobs');
    assert.equal(barriers, 2);
    await api.get('job', 'default', 'a', { consistency: 'stale' });
    await api.list('jobs', { consistency: 'stale' });
    assert.equal(barriers, 2);
  });

  it('lets backpressure and barrier errors through with their reasons', async () => {
    for (const reason of [Reason.TooManyRequests, Reason.Timeout, Reason.Unavailable]) {
      const store = new ResourceStore();
      const proposer: Proposer = {
        propose: () => Promise.reject(new JobctlError(reason, `busy: ${reason}`)),
      };
      const api = new ApiService({
        inner: new LocalClient({
          store,
          proposer,
          readBarrier: () => Promise.reject(new JobctlError(reason, `no read: ${reason}`)),
        }),
      });
      await rejectsWith(api.create(job('a')), reason, /^busy: /);
      await rejectsWith(api.get('job', 'default', 'a'), reason, /^no read: /);
    }
  });
});
