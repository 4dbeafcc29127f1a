// Which global flags a command acts on, as its --help lists them: found by
// running the verb's toOptions over a recording proxy (execute.ts), the same
// reading that refuses a global flag the command ignores.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { globalFlags, isGroup, type AnyVerb, type Command } from '../../../pkg/cli/command.js';
import { resolveConnection } from '../../../pkg/cli/contexts.js';
import { CONNECTION_FLAGS, globalFlagsActedOn } from '../../../pkg/cli/execute.js';
import { commands } from '../../../pkg/cli/register.js';
import { tempDir } from './helpers.js';

function leaves(cs: readonly Command[], prefix = ''): [string, AnyVerb][] {
  return cs.flatMap((c) =>
    isGroup(c) ? leaves(c.subcommands, `${prefix}${c.name} `) : [[`${prefix}${c.name}`, c]],
  );
}
const verbs = new Map(leaves(commands));
const actedOn = (name: string): string[] => {
  const verb = verbs.get(name);
  assert.ok(verb, name);
  return [...(globalFlagsActedOn(verb) ?? ['(unknown)'])].sort();
};

describe('the global flags a command acts on (its --help)', () => {
  it('lists the connection flags for a cluster verb, -o/-A only where the verb reads them', () => {
    const connection = [...CONNECTION_FLAGS, 'color'].sort();
    assert.deepEqual(actedOn('describe'), connection);
    assert.deepEqual(actedOn('node drain'), connection);
    assert.deepEqual(actedOn('get'), [...connection, 'all-namespaces', 'output'].sort());
    assert.deepEqual(actedOn('dev up'), ['color']);
  });

  it('does not depend on which flags are given, for every command', () => {
    // A verb reading a global flag only when another flag is set would make
    // --help hide a flag that works: none does.
    const given = {
      server: 'a:1',
      output: 'json',
      namespace: 'ns',
      allNamespaces: true,
      context: 'c',
      ca: 'x',
      cert: 'x',
      key: 'x',
      token: 'x',
    };
    assert.ok(verbs.size > 20, `only ${verbs.size} commands found`);
    for (const [name, verb] of verbs) {
      const bare = globalFlagsActedOn(verb);
      assert.ok(bare, `${name}: toOptions cannot run without arguments`);
      assert.deepEqual(globalFlagsActedOn(verb, given), bare, name);
    }
  });

  it('CONNECTION_FLAGS are what resolveConnection reads', async () => {
    const read = new Set<string>();
    const flags = new Proxy(
      { server: 'a:1' },
      {
        get(target, key, receiver) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    await resolveConnection(flags, { JOBCTL_CONFIG: join(tempDir(), 'none.yaml') });
    assert.deepEqual([...read].sort(), [...CONNECTION_FLAGS].sort());
    for (const name of CONNECTION_FLAGS) assert.ok(name in globalFlags, name);
  });
});
