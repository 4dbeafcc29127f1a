// config kubeconfig: a context (its REST URL, CA, client certificate, token
// and namespace) as a kubeconfig kubectl reads.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveConnection } from '../../../pkg/cli/contexts.js';
import { runConfig } from '../../../pkg/cli/verbs/config.js';
import { restUrl, runKubeconfig } from '../../../pkg/cli/verbs/kubeconfig.js';
import { StringOut, tempDir } from './helpers.js';

describe('config kubeconfig', () => {
  it('embeds the context: REST URL, CA, client certificate and key, token, namespace', async () => {
    const dir = tempDir();
    for (const f of ['ca.pem', 'admin.pem', 'admin-key.pem']) writeFileSync(join(dir, f), `${f}!`);
    const env = { JOBCTL_CONFIG: join(dir, 'config.yaml') };
    const out = new StringOut();
    const err = new StringOut();
    const deps = { stdout: out, stderr: err, env };
    await runConfig(
      {
        action: 'set-context',
        name: 'prod',
        server: 'n1:50051',
        http: 'https://n1:8081/',
        namespace: 'team',
        ca: join(dir, 'ca.pem'),
        cert: join(dir, 'admin.pem'),
        key: join(dir, 'admin-key.pem'),
        token: 'jobctl_t_x',
      },
      deps,
    );
    await runConfig({ action: 'use-context', name: 'prod' }, deps);
    out.text = '';
    const connection = await resolveConnection({}, env);
    assert.equal(await runKubeconfig({ connection }, deps), 0, err.text);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    assert.deepEqual(JSON.parse(out.text), {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'prod',
          cluster: { server: 'https://n1:8081', 'certificate-authority-data': b64('ca.pem!') },
        },
      ],
      users: [
        {
          name: 'prod',
          user: {
            'client-certificate-data': b64('admin.pem!'),
            'client-key-data': b64('admin-key.pem!'),
            token: 'jobctl_t_x',
          },
        },
      ],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'prod', namespace: 'team' } }],
      'current-context': 'prod',
    });
  });

  it('needs a REST URL: from --http or the context, else one clear error', async () => {
    const env = { JOBCTL_CONFIG: join(tempDir(), 'config.yaml') };
    const out = new StringOut();
    const err = new StringOut();
    const connection = await resolveConnection({}, env);
    assert.equal(await runKubeconfig({ connection }, { stdout: out, stderr: err, env }), 1);
    assert.match(err.text, /^error: no REST URL for this connection: pass --http URL/);
    assert.equal(
      await runKubeconfig(
        { connection, http: '127.0.0.1:8081' },
        { stdout: out, stderr: err, env },
      ),
      0,
    );
    assert.equal(JSON.parse(out.text).clusters[0].cluster.server, 'http://127.0.0.1:8081');
    assert.equal(restUrl('n1:8081', true), 'https://n1:8081');
    assert.throws(() => restUrl('ftp://x', false), /http or https/);
  });
});
