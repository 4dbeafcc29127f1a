// An unmodified kubectl (the oldest and the newest this machine carries) and
// @kubernetes/client-node against a TLS jobd with --auth and REST on, through
// a kubeconfig that `jobctl config kubeconfig` wrote: discovery, get in every
// form, watch, apply (created, unchanged, configured, a removed field gone),
// explain, wait, delete and its wait, and a refused request. Jobs run in real
// Docker containers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { E2ECluster, eventually } from '../support/cluster.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';
import { kubectlGate, oldestAndNewest, runKubectl } from '../support/kubectl.js';

const skip = (await dockerGate()) || kubectlGate();

/** A Job manifest as a user writes it, with optional extra spec fields and labels. */
function jobYaml(name: string, spec = '', labels = 'team: data'): string {
  return [
    'apiVersion: jobctl.dev/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    `  labels: {${labels}}`,
    'spec:',
    `  image: ${E2E_IMAGE}`,
    '  command: ["sh", "-c", "echo hello from kubectl"]',
    ...(spec ? [spec] : []),
    '',
  ].join('\n');
}

describe('kubectl and client-node against jobd (TLS, auth)', { skip, timeout: 600_000 }, () => {
  let c: E2ECluster;
  let dir: string;
  /** kubeconfigs written by `jobctl config kubeconfig`: the admin's and a user bound to nothing. */
  let admin: string;
  let nobody: string;

  /** `jobctl config ARGS` on this suite's own contexts file. */
  const config = (args: string[], tls = true) =>
    c.cliRetry(['config', ...args], {
      env: { JOBCTL_CONFIG: join(dir, 'jobctl.yaml') },
      noTlsFlags: !tls,
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-kubectl-'));
    c = await E2ECluster.start({
      runtime: 'docker',
      nodes: 1,
      tls: { users: [{ name: 'nobody', groups: ['nothing'] }] },
      http: true,
      extraArgs: ['--auth'],
    });
    const http = `https://${c.member(1).http}`;
    // The admin context: --server and the admin certificate come from the harness's flags.
    let r = await config(['set-context', 'admin', '--http', http]);
    assert.equal(r.code, 0, r.stderr);
    r = await config(['use-context', 'admin']);
    assert.equal(r.code, 0, r.stderr);
    r = await config(['kubeconfig']);
    assert.equal(r.code, 0, r.stderr);
    admin = join(dir, 'admin.kubeconfig');
    writeFileSync(admin, r.stdout, { mode: 0o600 });
    const sec = c.security('nobody');
    r = await config(
      [
        'set-context',
        'nobody',
        '--server',
        c.servers(),
        '--http',
        http,
        '--ca',
        sec?.ca ?? '',
        '--cert',
        sec?.cert ?? '',
        '--key',
        sec?.key ?? '',
      ],
      false,
    );
    assert.equal(r.code, 0, r.stderr);
    r = await config(['kubeconfig', '--context', 'nobody'], false);
    assert.equal(r.code, 0, r.stderr);
    nobody = join(dir, 'nobody.kubeconfig');
    writeFileSync(nobody, r.stdout, { mode: 0o600 });
  });

  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const bin of skip ? [] : oldestAndNewest()) {
    describe(`kubectl ${bin.version}`, () => {
      const cacheDir = (): string => join(dir, `cache-${bin.version}`);
      const kubectl = (args: string[], kubeconfig = admin) =>
        runKubectl(bin, args, { kubeconfig, cacheDir: cacheDir() });
      const ok = async (args: string[]): Promise<string> => {
        const r = await kubectl(args);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      /** A manifest file for this version's Job. */
      const manifest = (name: string, body: string): string => {
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, body);
        return file;
      };
      const name = `hello-${bin.version.replace('.', '-')}`;

      it('discovers the API: api-resources, version', async () => {
        const out = await ok(['api-resources']);
        assert.match(out, /^jobs\s+jobctl\.dev\/v1\s+true\s+Job$/m);
        assert.match(out, /^nodes\s+no\s+jobctl\.dev\/v1\s+false\s+Node$/m);
        assert.match(out, /^cronjobs\s+cj\s+jobctl\.dev\/v1\s+true\s+CronJob$/m);
        assert.match(await ok(['version']), /Server Version: .*v\d+\.\d+\.\d+/);
      });

      it('applies: created, unchanged, configured, a removed field gone (validated on the server)', async () => {
        const v1 = manifest(
          name,
          jobYaml(name, '  activeDeadlineSeconds: 600', 'team: data, tier: x'),
        );
        assert.match(
          await ok(['apply', '-f', v1]),
          new RegExp(`^job\\.jobctl\\.dev/${name} created$`, 'm'),
        );
        assert.match(
          await ok(['apply', '-f', v1]),
          new RegExp(`job\\.jobctl\\.dev/${name} unchanged`),
        );
        const v2 = manifest(name, jobYaml(name));
        assert.match(
          await ok(['apply', '-f', v2]),
          new RegExp(`job\\.jobctl\\.dev/${name} configured`),
        );
        const job = JSON.parse(await ok(['get', `job/${name}`, '-o', 'json']));
        assert.equal(
          job.spec.activeDeadlineSeconds,
          undefined,
          'removed from the manifest, removed',
        );
        assert.deepEqual(job.metadata.labels, { team: 'data' });
        assert.ok(job.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
        // Unknown fields are refused by the server (kubectl sends fieldValidation=Strict).
        const bad = manifest(`${name}-bad`, jobYaml(`${name}-bad`, '  completionz: 2'));
        const r = await kubectl(['apply', '-f', bad]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /completionz/);
      });

      it('waits for condition=Complete', async () => {
        const out = await ok(['wait', '--for=condition=Complete', `job/${name}`, '--timeout=180s']);
        assert.match(out, new RegExp(`job\\.jobctl\\.dev/${name} condition met`));
      });

      it('gets: the columns of jobctl get, wide, yaml, json, jsonpath, -l, -A, --show-labels, --sort-by', async () => {
        const table = await ok(['get', 'jobs.jobctl.dev']);
        const ours = await c.cliOk(['get', 'jobs']);
        const header = (text: string): string[] =>
          (text.split('\n')[0] ?? '').trim().split(/\s{2,}/);
        assert.deepEqual(header(table), header(ours));
        assert.match(table, new RegExp(`^${name}\\s+Succeeded\\s+1/1\\s`, 'm'));
        const wide = await ok(['get', 'jobs', '-o', 'wide']);
        assert.deepEqual(header(wide), header(await c.cliOk(['get', 'jobs', '-o', 'wide'])));
        assert.match(wide, new RegExp(`echo hello from kubectl`));
        assert.match(await ok(['get', 'job', name, '-o', 'yaml']), /^kind: Job$/m);
        assert.equal(JSON.parse(await ok(['get', 'jobs', '-o', 'json'])).kind, 'List');
        assert.equal(
          await ok(['get', `job/${name}`, '-o', 'jsonpath={.status.phase}']),
          'Succeeded',
        );
        assert.match(await ok(['get', 'jobs', '-l', 'team=data']), new RegExp(name));
        assert.doesNotMatch(await ok(['get', 'jobs', '-l', 'team=other']), new RegExp(name));
        const all = await ok(['get', 'jobs', '-A', '--show-labels']);
        assert.deepEqual(header(all).slice(0, 2), ['NAMESPACE', 'NAME']);
        assert.equal(header(all).at(-1), 'LABELS');
        assert.match(all, new RegExp(`^default\\s+${name}\\s.*team=data$`, 'm'));
        const sorted = await ok(['get', 'runs', '--sort-by=.metadata.name', '-o', 'name']);
        const names = sorted.trim().split('\n');
        assert.deepEqual(names, [...names].sort());
        const nodes = await ok(['get', 'no']);
        assert.match(nodes, /^NAME\s+STATUS\s+ROLE\(S\)\s+CPU\s+MEMORY\s+RUNS\s+AGE$/m);
      });

      it('applies and gets a Queue (cluster-scoped) and a Job that names it, as jobctl shows them', async () => {
        const queue = `q-${bin.version.replace('.', '-')}`;
        const file = manifest(
          queue,
          [
            'apiVersion: jobctl.dev/v1',
            'kind: Queue',
            'metadata:',
            `  name: ${queue}`,
            'spec:',
            '  maxRunning: 1',
            '',
          ].join('\n'),
        );
        assert.match(
          await ok(['apply', '-f', file]),
          new RegExp(`^queue\\.jobctl\\.dev/${queue} created$`, 'm'),
        );
        assert.match(await ok(['api-resources']), /^queues\s+.*jobctl\.dev\/v1\s+false\s+Queue$/m);
        const queued = `${name}-queued`;
        await ok(['apply', '-f', manifest(queued, jobYaml(queued, `  queue: ${queue}`))]);
        await ok(['wait', '--for=condition=Complete', `job/${queued}`, '--timeout=180s']);
        const header = (text: string): string[] =>
          (text.split('\n')[0] ?? '').trim().split(/\s{2,}/);
        const table = await ok(['get', 'queues']);
        assert.deepEqual(header(table), header(await c.cliOk(['get', 'queues'])));
        assert.match(table, new RegExp(`^${queue}\\s`, 'm'));
        assert.equal(
          await ok(['get', `job/${queued}`, '-o', 'jsonpath={.spec.queue}']),
          queue,
          'spec.queue round-trips through kubectl',
        );
        // A Job naming a queue that does not exist is refused at apply, through kubectl too.
        const orphan = `${name}-noqueue`;
        const r = await kubectl([
          'apply',
          '-f',
          manifest(orphan, jobYaml(orphan, '  queue: no-such-queue')),
        ]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no-such-queue/);
        await ok(['delete', 'job', queued]);
        await ok(['delete', 'queue', queue]);
      });

      it('explains fields from the schemas', async () => {
        const out = await ok(['explain', 'jobs.spec.completions']);
        assert.match(out, /KIND:\s+Job/);
        assert.match(out, /completions\s+<integer>/);
        assert.match(out, /must succeed/);
      });

      it('watches (-w) and deletes, waiting for the Job to go', async () => {
        const w = spawn(
          bin.path,
          ['--kubeconfig', admin, '--cache-dir', cacheDir(), 'get', 'jobs', '-w'],
          { env: { PATH: process.env.PATH ?? '/usr/bin', HOME: cacheDir() } },
        );
        let seen = '';
        w.stdout.on('data', (d: Buffer) => (seen += d.toString()));
        w.stderr.on('data', (d: Buffer) => (seen += d.toString()));
        try {
          await eventually(
            'the watch lists the Job',
            () => (seen.includes(name) ? true : undefined),
            60_000,
          );
          const before = seen.length;
          const out = await ok(['delete', 'job', name]);
          assert.match(out, new RegExp(`job\\.jobctl\\.dev "${name}" deleted`));
          // kubectl delete waited for the Job to go.
          const gone = await kubectl(['get', 'job', name]);
          assert.equal(gone.code, 1);
          assert.match(
            gone.stderr,
            new RegExp(`Error from server \\(NotFound\\): jobs "${name}" not found`),
          );
          // The watch printed the Job once more as it went.
          await eventually(
            'the watch sees the delete',
            () => (seen.slice(before).includes(name) ? true : undefined),
            30_000,
          );
        } finally {
          w.kill('SIGKILL');
        }
      });

      it('reports a refused request as Forbidden', async () => {
        const r = await kubectl(['get', 'jobs'], nobody);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Error from server \(Forbidden\)/);
      });
    });
  }

  describe('@kubernetes/client-node', () => {
    const group = 'jobctl.dev';
    const version = 'v1';
    const plural = 'jobs';
    const namespace = 'default';

    it('lists, creates, follows through an informer and deletes', async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(admin);
      const api = kc.makeApiClient(k8s.CustomObjectsApi);
      const listFn = () =>
        api.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<
          k8s.KubernetesListObject<k8s.KubernetesObject>
        >;
      const list = await listFn();
      assert.ok(Array.isArray(list.items));
      assert.match(String(list.metadata?.resourceVersion), /^\d+$/);

      const informer = k8s.makeInformer(
        kc,
        `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
        listFn,
      );
      const added: string[] = [];
      const deleted: string[] = [];
      informer.on('add', (o) => added.push(o.metadata?.name ?? ''));
      informer.on('delete', (o) => deleted.push(o.metadata?.name ?? ''));
      await informer.start();
      try {
        const created = (await api.createNamespacedCustomObject({
          group,
          version,
          namespace,
          plural,
          body: {
            apiVersion: 'jobctl.dev/v1',
            kind: 'Job',
            metadata: { name: 'from-client-node' },
            spec: { image: E2E_IMAGE, command: ['sh', '-c', 'echo hi'] },
          },
        })) as k8s.KubernetesObject;
        assert.equal(created.metadata?.name, 'from-client-node');
        await eventually(
          'the informer sees the create',
          () => (added.includes('from-client-node') ? true : undefined),
          60_000,
        );
        assert.ok(informer.get('from-client-node', namespace), 'in the informer cache');
        await api.deleteNamespacedCustomObject({
          group,
          version,
          namespace,
          plural,
          name: 'from-client-node',
        });
        await eventually(
          'the informer sees the delete',
          () => (deleted.includes('from-client-node') ? true : undefined),
          60_000,
        );
      } finally {
        await informer.stop();
      }
    });
  });
});
