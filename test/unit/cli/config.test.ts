// config: contexts round trip in a temp $JOBCTL_CONFIG, and how a connection
// is resolved from flags, environment and the current context.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveConnection } from '../../../pkg/cli/contexts.js';
import { runConfig, type ConfigOptions } from '../../../pkg/cli/verbs/config.js';
import { StringOut, tempDir } from './helpers.js';

function setup() {
  const path = join(tempDir(), 'sub', 'config.yaml');
  const out = new StringOut();
  const err = new StringOut();
  const deps = { stdout: out, stderr: err, env: { JOBCTL_CONFIG: path } };
  const config = (o: ConfigOptions) => runConfig(o, deps);
  return { path, out, err, config, env: deps.env };
}

describe('config contexts', () => {
  it('round-trips set-context, use-context, get-contexts and current-context', async () => {
    const t = setup();
    assert.equal(await t.config({ action: 'current-context' }), 1);
    assert.equal(t.err.text, 'error: current-context is not set\n');
    assert.equal(
      await t.config({ action: 'set-context', name: 'dev', server: 'a:1,b:2', namespace: 'team' }),
      0,
    );
    assert.equal(
      await t.config({ action: 'set-context', name: 'prod', server: 'p:1', token: 's3cret' }),
      0,
    );
    assert.equal(await t.config({ action: 'set-context', name: 'dev', ca: '/ca.pem' }), 0);
    assert.equal(await t.config({ action: 'use-context', name: 'dev' }), 0);
    assert.equal(await t.config({ action: 'use-context', name: 'nope' }), 1);
    assert.equal(await t.config({ action: 'current-context' }), 0);
    assert.equal(await t.config({ action: 'get-contexts' }), 0);
    assert.equal(
      t.out.text,
      [
        'Context "dev" created.',
        'Context "prod" created.',
        'Context "dev" modified.',
        'Switched to context "dev".',
        'dev',
        'CURRENT   NAME   SERVER    NAMESPACE',
        '*         dev    a:1,b:2   team',
        '          prod   p:1',
        '',
      ].join('\n'),
    );
    assert.equal(
      t.err.text,
      'error: current-context is not set\nerror: no context exists with the name: "nope"\n',
    );
    const conn = await resolveConnection({}, t.env);
    assert.deepEqual(conn.servers, ['a:1', 'b:2']);
    assert.equal(conn.namespace, 'team');
    assert.equal(conn.ca, '/ca.pem');
    const prod = await resolveConnection({ context: 'prod', namespace: 'x' }, t.env);
    assert.deepEqual([prod.servers, prod.namespace, prod.token], [['p:1'], 'x', 's3cret']);
    const flag = await resolveConnection({ server: 'f:1' }, { ...t.env, JOBCTL_SERVER: 'e:1' });
    assert.deepEqual(flag.servers, ['f:1']);
    const envServer = await resolveConnection({}, { ...t.env, JOBCTL_SERVER: 'e:1' });
    assert.deepEqual(envServer.servers, ['e:1']);
    // Token: --token, then $JOBCTL_TOKEN, then the context's.
    const envToken = await resolveConnection({ context: 'prod' }, { ...t.env, JOBCTL_TOKEN: 'e' });
    assert.equal(envToken.token, 'e');
    const flagToken = await resolveConnection(
      { context: 'prod', token: 'f' },
      { ...t.env, JOBCTL_TOKEN: 'e' },
    );
    assert.equal(flagToken.token, 'f');
  });

  it('stores TLS file paths of set-context as absolute paths', async () => {
    const t = setup();
    await t.config({
      action: 'set-context',
      name: 'tls',
      ca: 'certs/ca.pem',
      cert: 'u.pem',
      key: 'u-key.pem',
    });
    const conn = await resolveConnection({ context: 'tls' }, t.env);
    assert.deepEqual(
      [conn.ca, conn.cert, conn.key],
      [
        join(process.cwd(), 'certs/ca.pem'),
        join(process.cwd(), 'u.pem'),
        join(process.cwd(), 'u-key.pem'),
      ],
    );
  });

  it('reads a hand-written YAML config and defaults without one', async () => {
    const t = setup();
    const none = await resolveConnection({}, t.env);
    assert.deepEqual([none.servers, none.namespace], [['127.0.0.1:50051'], 'default']);
    await t.config({ action: 'set-context', name: 'x', server: 'h:1' });
    assert.equal(JSON.parse(readFileSync(t.path, 'utf8')).contexts[0].name, 'x');
    writeFileSync(
      t.path,
      'current-context: y\ncontexts:\n  - name: y\n    servers: [y1:1, y2:2]\n    namespace: ns\n',
    );
    const conn = await resolveConnection({}, t.env);
    assert.deepEqual([conn.servers, conn.namespace], [['y1:1', 'y2:2'], 'ns']);
    await t.config({ action: 'delete-context', name: 'y' });
    assert.equal(await t.config({ action: 'current-context' }), 1);
  });
});
