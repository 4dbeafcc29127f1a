// Logs that outlive their node, on a real 3-node jobd cluster (--runtime docker),
// through the real CLI, with kill -9:
//   - a finished Run's log is copied to another node; with the node that ran it
//     killed, `jobctl logs` through either other node prints it (a log over 1 MiB:
//     the note line, then its last 1 MiB from a line start) and says on stderr
//     which node is down and which one kept the copy;
//   - `jobctl logs -f` through a node that is killed mid-stream goes on through
//     another one, and prints every line exactly once, in order.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Run } from '../../pkg/store/index.js';
import {
  E2ECluster,
  eventually,
  manifestDir,
  writeJob,
  type E2EMember,
} from '../support/cluster.js';
import { CliRunner } from '../support/cli.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

const skip = await dockerGate();

const CUT_NOTE = '[jobctl: log cut to the last 1 MiB]';

describe(
  'logs that outlive their node (3-node docker cluster, CLI)',
  { skip, timeout: 600_000 },
  () => {
    let c: E2ECluster;
    let m: { dir: string; remove: () => void };
    let cli: CliRunner;

    before(async () => {
      c = await E2ECluster.start({
        runtime: 'docker',
        extraArgs: ['--backoff-base-ms', '100', '--backoff-max-ms', '500'],
      });
      m = manifestDir();
      cli = new CliRunner({ server: c.servers(), dir: m.dir });
    });

    after(async () => {
      cli?.killAll();
      await c?.stop();
      m?.remove();
    });

    const onlyRun = async (job: string): Promise<Run> =>
      eventually(`a Run of ${job} bound to a node`, async () => {
        const r = (await c.runsOf(job))[0];
        return r?.spec.nodeName ? r : undefined;
      });

    const copyPath = (member: E2EMember, uid: string): string =>
      join(member.dataDir, 'logs', 'copies', `${uid}.log`);

    it('a finished Run whose node is killed: logs serve the copy kept on another node', async () => {
      // Both Jobs run on the same node: the others are cordoned until both are bound.
      const victim = c.member(1);
      const others = c.members.filter((x) => x.id !== victim.id);
      for (const o of others) await c.cliOk(['node', 'cordon', o.name]);
      try {
        await c.cliOk([
          'apply',
          '-f',
          writeJob(m.dir, 'hello', {
            image: E2E_IMAGE,
            command: ['sh', '-c', 'echo hello; echo from the dead node'],
          }),
        ]);
        // 200,000 numbered lines: about 1.3 MB, more than a copy keeps.
        await c.cliOk([
          'apply',
          '-f',
          writeJob(m.dir, 'big', { image: E2E_IMAGE, command: ['seq', '1', '200000'] }),
        ]);
        await onlyRun('hello');
        await onlyRun('big');
      } finally {
        for (const o of others) await c.cliOk(['node', 'uncordon', o.name]);
      }
      for (const job of ['hello', 'big']) {
        const w = await c.cliRetry([
          'wait',
          `job/${job}`,
          '--for=condition=Complete',
          '--timeout=300s',
        ]);
        assert.equal(w.code, 0, `wait ${job}: ${w.stderr}`);
      }
      const hello = await onlyRun('hello');
      const big = await onlyRun('big');
      assert.equal(hello.spec.nodeName, victim.name);
      assert.equal(big.spec.nodeName, victim.name);

      // The copies land on another node once the Runs are final.
      const holderOf = async (run: Run): Promise<E2EMember> =>
        eventually(
          `a copy of ${run.metadata.name}'s log on another node`,
          async () => others.find((o) => existsSync(copyPath(o, run.metadata.uid))),
          60_000,
        );
      const helloHolder = await holderOf(hello);
      const bigHolder = await holderOf(big);

      // While the node is up, the whole log comes from it.
      const full = await c.cliOk(['logs', 'job/big'], { server: others[0]!.address });
      assert.equal(full.split('\n').length - 1, 200_000);

      await c.kill(victim.id, 'SIGKILL');

      // Through the node that keeps the copy and through the one that does not.
      for (const via of others) {
        const r = await c.cliRetry(['logs', 'job/hello'], { server: via.address });
        assert.equal(r.code, 0, `logs job/hello via ${via.name}: ${r.stderr}`);
        assert.equal(r.stdout, 'hello\nfrom the dead node\n', `logs job/hello via ${via.name}`);
        assert.equal(
          r.stderr,
          `jobctl: node ${victim.name} is unreachable; showing the copy kept on ${helloHolder.name} (saved when the run finished)\n`,
        );

        const b = await c.cliRetry(['logs', `run/${big.metadata.name}`], { server: via.address });
        assert.equal(b.code, 0, `logs run/${big.metadata.name} via ${via.name}: ${b.stderr}`);
        assert.match(b.stderr, new RegExp(`showing the copy kept on ${bigHolder.name}`));
        const lines = b.stdout.split('\n');
        assert.equal(lines.shift(), CUT_NOTE, 'the copy opens with the note line');
        assert.equal(lines.pop(), '', 'the copy ends with a whole line');
        const kept = Buffer.byteLength(b.stdout) - CUT_NOTE.length - 1;
        assert.ok(kept <= 1024 * 1024, `the copy holds ${kept} bytes`);
        assert.ok(kept > 1024 * 1024 - 16, `the copy holds only ${kept} bytes`);
        const first = Number(lines[0]);
        assert.deepEqual(
          lines,
          Array.from({ length: 200_000 - first + 1 }, (_, i) => String(first + i)),
          'the last lines of the output, whole, in order',
        );

        // --tail N of the copy: the last N lines, no note.
        const t = await c.cliRetry(['logs', 'job/big', '--tail', '3'], { server: via.address });
        assert.equal(t.code, 0, t.stderr);
        assert.equal(t.stdout, '199998\n199999\n200000\n');
      }

      c.restart(victim.id);
      await c.waitNodesReady();
    });

    it('logs -f through a node that is killed goes on through another, no line repeated or lost', async () => {
      const total = 400;
      await c.cliOk([
        'apply',
        '-f',
        writeJob(m.dir, 'ticker', {
          image: E2E_IMAGE,
          command: [
            'sh',
            '-c',
            `i=1; while [ $i -le ${total} ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done`,
          ],
        }),
      ]);
      // The Run lasts 40 s, so its Running status is seen even when the
      // agent's reports are slow to commit (a later report replaces a
      // pending one: Running, then Succeeded, would write only Succeeded).
      let seen: Run | undefined;
      const run = await eventually(
        'ticker to be Running',
        async () => {
          seen = (await c.runsOf('ticker'))[0];
          return seen?.status?.phase === 'Running' ? seen : undefined;
        },
        120_000,
      ).catch((err: unknown) => {
        const last = seen ? JSON.stringify({ spec: seen.spec, status: seen.status }) : 'no Run';
        throw new Error(`${err instanceof Error ? err.message : String(err)}; last seen: ${last}`);
      });
      // Served first by a node other than the one running the container, then by the last one.
      const executor = c.byName(run.spec.nodeName);
      const leader = await c.leader();
      const [serving, spare] = c.members
        .filter((x) => x.id !== executor.id)
        .sort((a, b) => Number(a.id === leader) - Number(b.id === leader));
      assert.ok(serving && spare);
      const follow = cli.start([
        'logs',
        '-f',
        'job/ticker',
        '--server',
        `${serving.address},${spare.address}`,
      ]);
      await follow.waitForLines((ls) => ls.length >= 20, 120_000, '20 lines');
      await c.kill(serving.id, 'SIGKILL');
      const printedAtKill = follow.lines().length;
      const r = await follow.exited;
      assert.equal(r.code, 0, `logs -f exited ${r.code}\n${follow.describe()}`);
      const lines = r.stdout.split('\n');
      assert.equal(lines.pop(), '');
      assert.ok(
        printedAtKill < total,
        `the Run had ended before the kill (${printedAtKill} lines)`,
      );
      assert.deepEqual(
        lines,
        Array.from({ length: total }, (_, i) => `line ${i + 1}`),
        'every line once, in order',
      );
      assert.equal(r.stderr, '', 'nothing to say on stderr');

      c.restart(serving.id);
      await c.waitNodesReady();
    });
  },
);
