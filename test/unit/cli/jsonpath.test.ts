// kubectl's JSONPath templates and custom columns, and `get` taking KIND/NAME,
// jobs.jobctl.dev, -o jsonpath=... and -o custom-columns=... as kubectl does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCustomColumns,
  parseCustomColumns,
} from '../../../pkg/cli/printers/custom-columns.js';
import { executeJsonPath } from '../../../pkg/cli/printers/jsonpath.js';
import { runGet, type GetOptions } from '../../../pkg/cli/verbs/get.js';
import { env, jobInput, setJobStatus } from './helpers.js';

const doc = {
  kind: 'List',
  items: [
    {
      metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } },
      spec: { command: ['sh', '-c', 'echo'] },
      status: {
        conditions: [
          { type: 'Complete', status: 'True' },
          { type: 'Failed', status: 'False' },
        ],
      },
    },
    { metadata: { name: 'b' }, spec: {}, status: { succeeded: 2 } },
  ],
};

describe('JSONPath templates', () => {
  it('evaluates fields, wildcards, indexes, slices, quoted keys, filters and recursion', () => {
    assert.equal(executeJsonPath('{.items[*].metadata.name}', doc), 'a b');
    assert.equal(executeJsonPath('{.items[0].metadata.name}', doc), 'a');
    assert.equal(executeJsonPath('{.items[-1].metadata.name}', doc), 'b');
    assert.equal(executeJsonPath('{.items[0:1].metadata.name}', doc), 'a');
    assert.equal(
      executeJsonPath("{.items[0].metadata.labels['app.kubernetes.io/name']}", doc),
      'x',
    );
    assert.equal(
      executeJsonPath('{.items[0].status.conditions[?(@.type=="Complete")].status}', doc),
      'True',
    );
    assert.equal(executeJsonPath('{.items[?(@.status.succeeded>1)].metadata.name}', doc), 'b');
    assert.equal(executeJsonPath('{..succeeded}', doc), '2');
    assert.equal(executeJsonPath('{.items[0].spec.command}', doc), '["sh","-c","echo"]');
    assert.equal(executeJsonPath('{.items[0].nope}', doc), '', 'missing keys print nothing');
  });

  it('prints text, literals and ranges', () => {
    assert.equal(
      executeJsonPath('names:{range .items[*]} {.metadata.name}{"\\n"}{end}', doc),
      'names: a\n b\n',
    );
    assert.throws(() => executeJsonPath('{range .items[*]}', doc), /unclosed range/);
    assert.throws(() => executeJsonPath('{.items[', doc), /unclosed/);
    assert.throws(() => executeJsonPath('{end}', doc), /nothing to end/);
  });

  it('makes custom columns; a missing value is <none>', () => {
    const columns = parseCustomColumns('NAME:.metadata.name,DONE:{.status.succeeded}');
    assert.equal(
      formatCustomColumns(columns, doc.items),
      ['NAME   DONE', 'a      <none>', 'b      2', ''].join('\n'),
    );
    assert.throws(() => parseCustomColumns('NAME'), /expected <header>:<json-path-expr>/);
  });
});

describe('get, kubectl style', () => {
  const get = (o: Partial<GetOptions>): GetOptions => ({
    namespace: 'default',
    kind: 'jobs',
    ...o,
  });

  it('takes KIND/NAME and jobs.jobctl.dev, -o jsonpath and -o custom-columns', async () => {
    const e = env();
    await e.client.create(jobInput('hello'));
    await e.client.create(jobInput('batch'));
    await setJobStatus(e.client, 'hello', { phase: 'Succeeded', succeeded: 1 });
    assert.equal(
      await e.run((d) => runGet(get({ kind: 'job/hello', output: 'jsonpath={.status.phase}' }), d)),
      0,
    );
    assert.equal(e.out.text, 'Succeeded');
    e.out.text = '';
    await e.run((d) =>
      runGet(
        get({
          kind: 'jobs.jobctl.dev',
          output: 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
        }),
        d,
      ),
    );
    assert.equal(e.out.text, 'batch=\nhello=Succeeded\n');
    e.out.text = '';
    await e.run((d) =>
      runGet(
        get({ kind: 'job/hello', names: ['job/batch'], output: 'custom-columns=N:.metadata.name' }),
        d,
      ),
    );
    assert.equal(e.out.text, 'N\nhello\nbatch\n');
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ kind: 'job/hello', names: ['node/n1'] }), d)), 2);
    assert.match(e.err.text, /must all name one kind/);
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ output: 'jsonpath={.a' }), d)), 2);
    assert.match(e.err.text, /error parsing jsonpath/);
  });
});
