// Sandbox policy end to end: a real jobd (--runtime docker) driven by the real
// CLI. A Job asking for network bridge is refused in a namespace without a
// SandboxPolicy, with the rule that blocked it, and accepted in a namespace whose
// policy allows bridge; its container then really has a network interface
// (eth0 in /proc/net/dev), while a default Job's container has only loopback.
// `get sandboxpolicies`, `describe sandboxpolicy` and `describe job` (the
// effective sandbox) are checked on the way.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2ECluster, manifestDir } from '../support/cluster.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

const skip = await dockerGate();

/** Interface names listed in /proc/net/dev output ("lo", "eth0", ...). */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .map((l) => /^\s*([^\s:|]+):/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .sort();
}

describe('sandbox policy on a docker node (CLI)', { skip, timeout: 300_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({ runtime: 'docker', nodes: 1 });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const write = (file: string, obj: unknown): string => {
    const path = join(m.dir, file);
    writeFileSync(path, JSON.stringify(obj, null, 2));
    return path;
  };
  const netJob = (name: string, network?: 'bridge') =>
    write(`${name}.json`, {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name },
      spec: {
        image: E2E_IMAGE,
        command: ['cat', '/proc/net/dev'],
        backoffLimit: 0,
        ...(network ? { sandbox: { network } } : {}),
      },
    });

  it('refuses network bridge without a policy, naming the rule; nothing is created', async () => {
    const r = await c.cliRetry(['apply', '-n', 'strict', '-f', netJob('web', 'bridge')]);
    assert.equal(r.code, 1, `apply exited ${r.code}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /Job "web": spec\.sandbox\.network: "bridge" is not allowed in namespace "strict", which has no SandboxPolicy \(the strict sandbox only\) \(allowNetwork: \[none\]\)/,
    );
    assert.match(r.stderr, /Forbidden/);
    const get = await c.cliRetry(['get', 'job', 'web', '-n', 'strict']);
    assert.equal(get.code, 1, 'the refused Job must not exist');
  });

  it('accepts it where a policy allows bridge; the container really has a network', async () => {
    const policy = write('policy.json', {
      apiVersion: 'jobctl.dev/v1',
      kind: 'SandboxPolicy',
      metadata: { name: 'default', namespace: 'netok' },
      spec: { allowNetwork: ['none', 'bridge'], maxResources: { memory: '1Gi' } },
    });
    assert.match(
      await c.cliOk(['apply', '-f', policy]),
      /sandboxpolicy\.jobctl\.dev\/default created/,
    );
    const table = await c.cliOk(['get', 'sandboxpolicies', '-n', 'netok']);
    assert.match(
      table,
      /^NAME\s+NETWORK\s+WRITABLE-ROOT\s+ROOT-USER\s+MAX-CPU\s+MAX-MEMORY\s+AGE/m,
    );
    assert.match(table, /^default\s+none,bridge\s+false\s+false\s+<none>\s+1Gi\s+/m);
    const described = await c.cliOk(['describe', 'sbp', 'default', '-n', 'netok']);
    assert.match(described, /Network:\s+none, bridge/);
    assert.match(described, /Max Resources:\s+memory=1Gi/);

    // Over the policy's memory cap: refused, the policy named.
    const big = write('big.json', {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name: 'big' },
      spec: { image: E2E_IMAGE, command: ['true'], resources: { memory: '2Gi' } },
    });
    const over = await c.cliRetry(['apply', '-n', 'netok', '-f', big]);
    assert.equal(over.code, 1);
    assert.match(
      over.stderr,
      /spec\.resources\.memory: "2Gi" is over the cap set by SandboxPolicy "netok\/default" \(maxResources\.memory: 1Gi\)/,
    );

    const r = await c.cliRetry([
      'apply',
      '-n',
      'netok',
      '-f',
      netJob('web', 'bridge'),
      '-f',
      netJob('plain'),
      '--wait=180s',
    ]);
    assert.equal(r.code, 0, `apply --wait: ${r.stderr}\n${c.logTail()}`);

    const bridged = await c.cliOk(['logs', 'job/web', '-n', 'netok']);
    assert.deepEqual(interfaces(bridged), ['eth0', 'lo'], bridged);
    const plain = await c.cliOk(['logs', 'job/plain', '-n', 'netok']);
    assert.deepEqual(interfaces(plain), ['lo'], plain);

    const web = await c.cliOk(['describe', 'job', 'web', '-n', 'netok']);
    assert.match(web, /^Sandbox:\n {2}Network:\s+bridge\n {2}Root FS:\s+read-only/m);
    assert.match(web, /User:\s+65534:65534/);
    assert.match(web, /pids=256/);
    assert.match(web, /Capabilities:\s+all dropped, no-new-privileges/);
  });
});
