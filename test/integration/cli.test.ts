// The CLI end to end (DESIGN.md §4): real `jobctl` child processes against a
// real 3-node cluster of jobd processes on 127.0.0.1 (free ports, a temp dir,
// the fake runtime). apply's created/unchanged/configured, immutable fields
// and --force, `get -w` streaming ADDED/MODIFIED/DELETED as other processes
// write, the watch surviving kill -9 of the node it reads from (exact event
// sequence afterwards), apply via a follower, wait's timeout (exit 5), kill -9
// of the leader in the middle of a stream of apply processes (no acknowledged
// object lost), an unreachable cluster (exit 3), usage errors (exit 2),
// -o json / -o yaml, a get of a present and a missing Job, delete and NotFound.
//
// Every Job is suspended, so it can never run or complete even with the
// controllers wired: only its status may change (status-only MODIFIED events,
// same generation), which the watch assertions tell apart. No fixed sleeps:
// every wait is on a condition, with generous timeouts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { LocalCluster, freePorts } from '../../pkg/node/local-cluster.js';
import type { NodeId } from '../../pkg/raft/types.js';
import { CliRunner, type CliResult } from '../support/cli.js';

interface JobSpec {
  readonly suite: string;
  readonly image?: string;
  readonly parallelism?: number;
}

/** One event line of `get jobs -w -o json`. */
interface WatchLine {
  type: string;
  object: {
    metadata: { name: string; generation: number; resourceVersion: string; labels?: object };
    spec: { image: string; parallelism: number };
  };
}

/** Generous: CI machines run several suites at once (2 cores). */
const LONG = 120_000;

/** A one-line stderr (DESIGN.md §4: errors are one clear line each). */
function oneLine(r: CliResult): string {
  assert.match(r.stderr, /^[^\n]+\n$/, `expected one stderr line, got ${JSON.stringify(r.stderr)}`);
  return r.stderr.trimEnd();
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code} (${r.signal ?? ''})\n${r.stdout}${r.stderr}`);
}

describe('jobctl end to end against a 3-node cluster', { timeout: 900_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  let cli: CliRunner;

  const addr = (id: NodeId): string => cluster.member(id).address;
  const others = (id: NodeId): NodeId[] => ([1, 2, 3] as NodeId[]).filter((x) => x !== id);

  /** Writes a suspended Job manifest and returns its path. */
  const manifest = (name: string, spec: JobSpec): string => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(
      path,
      [
        'apiVersion: jobctl.dev/v1',
        'kind: Job',
        'metadata:',
        `  name: ${name}`,
        '  labels:',
        `    suite: ${spec.suite}`,
        'spec:',
        `  image: ${spec.image ?? 'busybox:latest'}`,
        `  command: ['echo', '${name}']`,
        `  parallelism: ${spec.parallelism ?? 1}`,
        '  suspend: true',
        '',
      ].join('\n'),
    );
    return path;
  };

  /** (Re)starts any node that is down and waits until all three agree on a leader. */
  const allUp = async (): Promise<{ id: NodeId; term: number }> => {
    for (const m of cluster.members) if (!cluster.isRunning(m.id)) cluster.startNode(m.id);
    return cluster.waitForLeader({ timeoutMs: LONG });
  };

  /**
   * Runs a write until the cluster acknowledges it. Right after a failover a
   * write may time out or find no leader yet (Timeout / Unavailable, exit 1
   * or 3): its outcome is unknown, so it is repeated. apply is idempotent; a
   * repeated delete whose first attempt did commit answers NotFound, which
   * `done` may accept. Order is kept: a write is acknowledged only after every
   * earlier proposal of the same leader's log has committed or been dropped.
   */
  const untilAcknowledged = async (
    args: string[],
    what: string,
    retried: (r: CliResult) => boolean = () => false,
  ): Promise<CliResult> => {
    const deadline = Date.now() + LONG;
    for (let tries = 0; ; tries++) {
      const r = await cli.run(args);
      if (r.code === 0 || (tries > 0 && retried(r))) return r;
      const retriable =
        (r.code === 1 && /\((Timeout|Unavailable|TooManyRequests)\)/.test(r.stderr)) ||
        r.code === 3;
      if (!retriable || Date.now() > deadline) {
        ok(r, what);
        return r;
      }
    }
  };

  /** Names of the Jobs with label suite=SUITE, read through `get -o name` on `server`. */
  const names = async (suite: string, server: string): Promise<Set<string>> => {
    const r = await cli.run([
      '--server',
      server,
      'get',
      'jobs',
      '-l',
      `suite=${suite}`,
      '-o',
      'name',
    ]);
    ok(r, 'get -o name');
    return new Set(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^job\.jobctl\.dev\//, '')),
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-cli-it-'));
    cluster = await LocalCluster.start({
      nodes: 3,
      baseDir: join(dir, 'cluster'),
      extraArgs: ['--runtime', 'fake'],
    });
    cli = new CliRunner({ server: cluster.servers(), dir });
    await cluster.waitForLeader({ timeoutMs: LONG });
    // The write path works end to end before the first test measures anything.
    await untilAcknowledged(['apply', '-f', manifest('warm-up', { suite: 'warm-up' })], 'warm-up');
  });

  // Each test starts from a whole cluster (a kill test may have left a node down).
  beforeEach(async () => {
    await allUp();
  });

  after(async () => {
    cli?.killAll();
    await cluster?.stop();
    for (const m of cluster?.members ?? [])
      if (cluster.isRunning(m.id)) await cluster.kill(m.id, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('apply twice prints created, then unchanged', async () => {
    const file = manifest('twice', { suite: 'apply' });
    const first = await cli.run(['apply', '-f', file]);
    ok(first, 'first apply');
    assert.equal(first.stdout, 'job.jobctl.dev/twice created\n');
    assert.equal(first.stderr, '');
    const second = await cli.run(['apply', '-f', file]);
    ok(second, 'second apply');
    assert.equal(second.stdout, 'job.jobctl.dev/twice unchanged\n');
    assert.equal(second.stderr, '');
  });

  it('a changed parallelism prints configured', async () => {
    await untilAcknowledged(['apply', '-f', manifest('par', { suite: 'apply' })], 'create');
    const changed = await cli.run([
      'apply',
      '-f',
      manifest('par', { suite: 'apply', parallelism: 3 }),
    ]);
    ok(changed, 'apply parallelism 3');
    assert.equal(changed.stdout, 'job.jobctl.dev/par configured\n');
    const got = await cli.run(['get', 'job', 'par', '-o', 'json']);
    ok(got, 'get');
    assert.equal((JSON.parse(got.stdout) as WatchLine['object']).spec.parallelism, 3);
  });

  it('a changed image is refused (exit 1, one line), and accepted with --force', async () => {
    await untilAcknowledged(['apply', '-f', manifest('img', { suite: 'apply' })], 'create');
    const file = manifest('img', { suite: 'apply', image: 'alpine:3' });
    const refused = await cli.run(['apply', '-f', file]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(
      oneLine(refused),
      /^Error from server \(Invalid\): Job "img" is invalid: spec\.image: field is immutable/,
    );
    const before = await cli.run(['get', 'job', 'img', '-o', 'json']);
    assert.equal((JSON.parse(before.stdout) as WatchLine['object']).spec.image, 'busybox:latest');

    const forced = await cli.run(['apply', '-f', file, '--force']);
    ok(forced, 'apply --force');
    assert.match(forced.stdout, /^job\.jobctl\.dev\/img (configured|created)\n$/);
    const now = await cli.run(['get', 'job', 'img', '-o', 'json']);
    assert.equal((JSON.parse(now.stdout) as WatchLine['object']).spec.image, 'alpine:3');
  });

  it('get jobs -w in a child process shows ADDED, MODIFIED and DELETED as another process writes', async () => {
    const w = cli.start(['get', 'jobs', '-w', '-l', 'suite=watch']);
    const rowsOf = (lines: string[], event: string) =>
      lines.filter((l) => new RegExp(`^${event}\\s+w1\\s`).test(l));

    await untilAcknowledged(['apply', '-f', manifest('w1', { suite: 'watch' })], 'apply');
    let lines = await w.waitForLines((ls) => rowsOf(ls, 'ADDED').length === 1, LONG, 'ADDED w1');
    assert.match(lines[0] ?? '', /^EVENT\s+NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);

    const seen = w.lines().length;
    await untilAcknowledged(
      ['apply', '-f', manifest('w1', { suite: 'watch', parallelism: 2 })],
      'modify',
    );
    await w.waitForLines(
      (ls) => rowsOf(ls.slice(seen), 'MODIFIED').length >= 1,
      LONG,
      'MODIFIED w1',
    );

    await untilAcknowledged(['delete', 'job', 'w1'], 'delete', (r) =>
      /\(NotFound\)/.test(r.stderr),
    );
    lines = await w.waitForLines((ls) => rowsOf(ls, 'DELETED').length === 1, LONG, 'DELETED w1');
    assert.equal(rowsOf(lines, 'ADDED').length, 1, 'ADDED shown once');
    // Nothing after DELETED: the object is gone.
    assert.match(lines[lines.length - 1] ?? '', /^DELETED\s+w1\s/);

    const r = await w.interrupt();
    assert.equal(r.code, 0, `Ctrl-C ends the watch cleanly\n${w.describe()}`);
    assert.equal(r.stderr, '');
  });

  it('a watch survives kill -9 of the node it reads from, without missing or repeating events', async () => {
    const victim = (await cluster.waitForLeader({ timeoutMs: LONG })).id;
    const survivors = others(victim).map(addr).join(',');
    const servers = [victim, ...others(victim)].map(addr).join(',');
    const w = cli.start([
      '--server',
      servers,
      'get',
      'jobs',
      '-w',
      '-o',
      'json',
      '-l',
      'suite=failover',
    ]);
    const events = (): WatchLine[] => w.lines().map((l) => JSON.parse(l) as WatchLine);

    // The watch is up (on the victim, first in --server) once it shows a Job applied now.
    await untilAcknowledged(['apply', '-f', manifest('f0', { suite: 'failover' })], 'apply f0');
    await w.waitForLines(
      (ls) => ls.some((l) => (JSON.parse(l) as WatchLine).object.metadata.name === 'f0'),
      LONG,
      'f0 in the watch',
    );
    const before = w.lines().length;

    await cluster.kill(victim, 'SIGKILL');
    await cluster.waitForLeader({ timeoutMs: LONG, not: victim, quorumOnly: true });

    // Writes after the kill, each acknowledged before the next (so their order is known).
    const write = (args: string[], what: string, retried?: (r: CliResult) => boolean) =>
      untilAcknowledged(['--server', survivors, ...args], what, retried);
    for (const n of ['f1', 'f2', 'f3', 'f4'])
      await write(['apply', '-f', manifest(n, { suite: 'failover' })], `apply ${n}`);
    await write(
      ['apply', '-f', manifest('f2', { suite: 'failover', parallelism: 4 })],
      'modify f2',
    );
    // Repeated after an unknown outcome: NotFound means the first attempt did it.
    await write(['delete', 'job', 'f3'], 'delete f3', (r) => /\(NotFound\)/.test(r.stderr));
    await write(['apply', '-f', manifest('f5', { suite: 'failover' })], 'apply f5');

    await w.waitForLines(
      (ls) => ls.some((l) => /"name":"f5"/.test(l)),
      LONG,
      'f5 in the watch after the failover',
    );
    const all = events();
    // No event repeated, none out of order (resourceVersion = Raft index).
    const rvs = all.map((e) => Number(e.object.metadata.resourceVersion));
    assert.equal(new Set(rvs).size, rvs.length, `an event was repeated\n${w.describe()}`);
    assert.ok(
      rvs.every((rv, i) => i === 0 || rv > (rvs[i - 1] as number)),
      `events out of order: ${rvs.join(',')}`,
    );
    // The exact sequence of spec-level events after the kill. A status-only
    // MODIFIED (a controller's, same generation) is not a write of this test.
    const generation = new Map<string, number>();
    for (const e of all.slice(0, before))
      generation.set(e.object.metadata.name, e.object.metadata.generation);
    const changes: string[] = [];
    for (const e of all.slice(before)) {
      const { name, generation: gen } = e.object.metadata;
      const statusOnly = e.type === 'MODIFIED' && generation.get(name) === gen;
      generation.set(name, gen);
      if (!statusOnly) changes.push(`${e.type} ${name}`);
    }
    assert.deepEqual(
      changes,
      ['ADDED f1', 'ADDED f2', 'ADDED f3', 'ADDED f4', 'MODIFIED f2', 'DELETED f3', 'ADDED f5'],
      w.describe(),
    );
    const r = await w.interrupt();
    assert.equal(r.code, 0, w.describe());
  });

  it('apply against a follower only works', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: LONG });
    const [follower, third] = others(leader.id) as [NodeId, NodeId];
    const r = await cli.run([
      '--server',
      addr(follower),
      'apply',
      '-f',
      manifest('via-follower', { suite: 'follower' }),
    ]);
    ok(r, 'apply via follower');
    assert.equal(r.stdout, 'job.jobctl.dev/via-follower created\n');
    assert.deepEqual([...(await names('follower', addr(third)))], ['via-follower']);
  });

  it('wait --timeout=1s on a Job that never completes exits 5', async () => {
    await untilAcknowledged(['apply', '-f', manifest('never', { suite: 'wait' })], 'apply');
    const started = Date.now();
    const r = await cli.run(['wait', 'job/never', '--for=condition=Complete', '--timeout=1s']);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.equal(oneLine(r), 'error: timed out waiting for the condition on jobs/never');
    assert.ok(Date.now() - started >= 1000, 'waited at least the timeout');
  });

  it('kill -9 of the leader in the middle of a stream of apply processes loses no acknowledged Job', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: LONG });
    const acked = new Set<string>();
    let ackedAfterKill = 0;
    let killed = false;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const name = `s-${w}-${i}`;
        const r = await cli.run(['apply', '-f', manifest(name, { suite: 'stream' })]);
        if (r.code === 0) {
          assert.equal(r.stdout, `job.jobctl.dev/${name} created\n`);
          acked.add(name);
          if (killed) ackedAfterKill++;
        }
        // Not acknowledged (election in progress): it may or may not exist.
      }
    };
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const writers = [0, 1, 2].map(writer);
    try {
      await until(() => acked.size >= 6, '6 acknowledged applies');
      await cluster.kill(leader.id, 'SIGKILL');
      killed = true;
      await until(() => ackedAfterKill >= 6, '6 acknowledged applies after the kill');
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    const present = await names('stream', others(leader.id).map(addr).join(','));
    for (const name of acked) assert.ok(present.has(name), `acknowledged Job ${name} lost`);
  });

  it('an unreachable cluster gives one line and exit 3', async () => {
    const dead = (await freePorts(2)).map((p) => `127.0.0.1:${p}`).join(',');
    for (const args of [
      ['get', 'jobs'],
      ['apply', '-f', manifest('nowhere', { suite: 'dead' })],
    ]) {
      const r = await cli.run(['--server', dead, ...args]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      assert.match(oneLine(r), new RegExp(`^Unable to connect to the server at ${dead}: .+$`));
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [['get'], ['get', 'jobs', '--bogus'], ['frobnicate'], ['wait', 'job/x']]) {
      const r = await cli.run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^error: /, args.join(' '));
    }
  });

  it('get jobs -o yaml and -o json parse', async () => {
    for (const n of ['fa', 'fb'])
      await untilAcknowledged(['apply', '-f', manifest(n, { suite: 'fmt' })], `apply ${n}`);
    const json = await cli.run(['get', 'jobs', '-l', 'suite=fmt', '-o', 'json']);
    ok(json, 'get -o json');
    const list = JSON.parse(json.stdout) as { items: WatchLine['object'][] };
    assert.deepEqual(
      list.items.map((o) => o.metadata.name),
      ['fa', 'fb'],
    );
    const yaml = await cli.run(['get', 'jobs', '-l', 'suite=fmt', '-o', 'yaml']);
    ok(yaml, 'get -o yaml');
    const ylist = parseYaml(yaml.stdout) as { items: WatchLine['object'][] };
    assert.deepEqual(ylist.items, list.items);
    const one = await cli.run(['get', 'job', 'fa', '-o', 'yaml']);
    ok(one, 'get job fa -o yaml');
    assert.equal((parseYaml(one.stdout) as WatchLine['object']).metadata.name, 'fa');
  });

  it('get of a present and a missing Job prints each once: the Job, then NotFound, exit 1', async () => {
    // The bin reads both without grpc-js; the NotFound hands the command to
    // the whole CLI, which runs it again: nothing of the first run may show.
    await untilAcknowledged(['apply', '-f', manifest('here', { suite: 'missing' })], 'apply');
    const r = await cli.run(['get', 'jobs', 'here', 'not-here', '-o', 'name']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, 'job.jobctl.dev/here\n');
    assert.equal(r.stderr, 'Error from server (NotFound): jobs "not-here" not found\n');
  });

  it('delete job x prints deleted, then NotFound and exit 1', async () => {
    await untilAcknowledged(['apply', '-f', manifest('gone', { suite: 'delete' })], 'apply');
    const first = await cli.run(['delete', 'job', 'gone']);
    ok(first, 'delete');
    assert.equal(first.stdout, 'job.jobctl.dev "gone" deleted\n');
    assert.equal(first.stderr, '');
    const second = await cli.run(['delete', 'job', 'gone']);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.equal(second.stdout, '');
    assert.equal(oneLine(second), 'Error from server (NotFound): jobs "gone" not found');
  });
});
