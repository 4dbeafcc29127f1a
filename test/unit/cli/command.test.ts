// command.ts: verb definitions as data. Arguments are read by each flag's
// declared type, the usage line comes from the positionals, and the fast
// `get` path accepts exactly the flags get's definition declares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineVerb, globalFlags, readArgs, usageOf } from '../../../pkg/cli/command.js';
import { parseFastGet } from '../../../pkg/cli/fast-get.js';
import { getVerb } from '../../../pkg/cli/verbs/get.js';

const verb = defineVerb({
  name: 'x',
  describe: 'a test verb',
  positionals: [{ name: 'kind', required: true }, { name: 'name' }, { name: 'rest', array: true }],
  flags: {
    filename: { type: 'string', repeatable: true },
    'chunk-size': { type: 'number' },
    watch: { type: 'boolean' },
    image: { type: 'string' },
  },
  toOptions: (a) => a,
  run: async () => 0,
});

describe('verb definitions', () => {
  it('make the yargs usage line from the positionals', () => {
    assert.equal(usageOf(verb), 'x <kind> [name] [rest..]');
    assert.equal(usageOf(getVerb), 'get <kind> [names..]');
  });

  it('read each argument by its declared type, keyed camelCase', () => {
    const a = readArgs(verb, {
      kind: 'jobs',
      rest: ['a', '', 'b'],
      filename: 'one.yaml',
      chunkSize: 7,
      watch: true,
      image: ['a', 'b'],
      color: false,
      allNamespaces: 'yes',
      '--': ['echo', 'hi'],
    }) as Record<string, unknown>;
    assert.equal(a.kind, 'jobs');
    assert.equal(a.name, undefined);
    assert.deepEqual(a.rest, ['a', 'b']);
    assert.deepEqual(a.filename, ['one.yaml']);
    assert.equal(a.chunkSize, 7);
    assert.equal(a.watch, true);
    // A plain flag yargs turned into an array (given twice) reads as String() does.
    assert.equal(a.image, 'a,b');
    assert.equal(a.color, false);
    // Not a boolean: as if not given.
    assert.equal(a.allNamespaces, undefined);
    assert.deepEqual(a['--'], ['echo', 'hi']);
  });

  it('give the fast get path every flag get declares, and no other', () => {
    const flags = { ...globalFlags, ...getVerb.flags };
    for (const [name, spec] of Object.entries(flags)) {
      const argv = ['get', 'jobs', `--${name}`, ...(spec.type === 'boolean' ? [] : ['1'])];
      assert.ok(parseFastGet(argv), `fast path refused ${argv.join(' ')}`);
    }
    // A flag of another verb (apply's --prune) is left to yargs, which refuses it.
    assert.equal(parseFastGet(['get', 'jobs', '--prune']), undefined);
  });
});
