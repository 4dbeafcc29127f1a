// The dashboard's YAML helpers (pkg/dashboard/src/yaml.ts), loaded from the
// browser build in dist/pkg/dashboard (that code is compiled with DOM types,
// apart from the Node-side tree). toYaml must round-trip through a real YAML
// parser; lineOfPath must find where a field path is written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

interface YamlModule {
  toYaml(value: unknown): string;
  lineOfPath(text: string, path: string): number | undefined;
}
// dist/test/unit/dashboard/yaml.test.js -> dist/pkg/dashboard/yaml.js
const { toYaml, lineOfPath } = (await import(
  new URL('../../../pkg/dashboard/yaml.js', import.meta.url).href
)) as YamlModule;

describe('dashboard yaml', () => {
  it('writes YAML that parses back to the same value', () => {
    const value = {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'web', empty: '' } },
      spec: {
        command: ['sh', '-c', 'echo "hi": yes; exit 1'],
        env: [
          { name: 'A', value: 'true' },
          { name: 'B', value: '0012' },
        ],
        completions: 3,
        suspend: false,
        deadline: null,
        tags: [],
        extra: {},
        weird: ['- dash', '#hash', 'a: b', 'null', ' padded ', 'multi\nline'],
      },
    };
    assert.deepEqual(parse(toYaml(value)), value);
  });

  it('finds the line of a field path, list items included', () => {
    const text = [
      'apiVersion: jobctl.dev/v1', // 1
      'kind: Job', // 2
      'metadata:', // 3
      '  name: x', // 4
      'spec:', // 5
      '  # a comment', // 6
      '  command:', // 7
      '  - echo', // 8
      '  - hi', // 9
      '  env:', // 10
      '    - name: A', // 11
      '      value: "1"', // 12
      '    - name: B', // 13
      '  completions: 0', // 14
    ].join('\n');
    assert.equal(lineOfPath(text, 'spec.completions'), 14);
    assert.equal(lineOfPath(text, 'metadata.name'), 4);
    assert.equal(lineOfPath(text, 'spec.command[1]'), 9);
    assert.equal(lineOfPath(text, 'spec.env[1].name'), 13);
    assert.equal(lineOfPath(text, 'spec.env[0].value'), 12);
    // A missing field is shown at its nearest written parent.
    assert.equal(lineOfPath(text, 'spec.image'), 5);
    assert.equal(lineOfPath(text, 'status'), undefined);
  });
});
