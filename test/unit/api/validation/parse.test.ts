import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkManifestSize,
  MAX_MANIFEST_BYTES,
  parseManifests,
  validateManifest,
} from '../../../../pkg/api/validation/index.js';

const NOT_OBJECT =
  'not an object (a manifest is a map with apiVersion, kind and metadata; separate several with ---)';

describe('parseManifests', () => {
  it('reads every document of a multi-document file, skipping empty ones', () => {
    const text =
      '---\n---\n# just a comment\n---\nkind: Job\nmetadata: {name: a}\n---\nkind: Job\nmetadata: {name: b}\n---\n';
    const r = parseManifests(text, 'jobs.yaml');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.manifests.map((m) => [
        (m.object.metadata as { name: string }).name,
        m.source,
        m.document,
        m.line,
      ]),
      [
        ['a', 'jobs.yaml', 3, 5],
        ['b', 'jobs.yaml', 4, 8],
      ],
    );
  });

  it('reads JSON', () => {
    const r = parseManifests(
      '{"apiVersion": "jobctl.dev/v1", "kind": "Job", "metadata": {"name": "j"}}',
      'j.json',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.manifests[0]?.object, {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name: 'j' },
    });
  });

  it('accepts bytes and strips a byte-order mark', () => {
    const r = parseManifests(new TextEncoder().encode('\uFEFFkind: Job\n'), 'bom.yaml');
    assert.deepEqual(r.manifests[0]?.object, { kind: 'Job' });
  });

  it('flattens kind: List, including nested Lists', () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n  - kind: Job\n  - kind: List\n    items:\n      - kind: CronJob\n';
    const r = parseManifests(text, 'list.yaml');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.manifests.map((m) => [m.object.kind, m.line]),
      [
        ['Job', 4],
        ['CronJob', 7],
      ],
    );
  });

  const errors: [string, string, string[]][] = [
    [
      'unclosed flow sequence',
      'apiVersion: jobctl.dev/v1\nkind: Job\nmetadata:\n  name: [a\nspec: {}\n',
      [
        'job.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    ['duplicate keys', 'kind: Job\nkind: Run\n', ['job.yaml:2:1: Map keys must be unique']],
    [
      'tab indentation',
      'spec:\n\t image: x\n',
      ['job.yaml:2:1: Tabs are not allowed as indentation'],
    ],
    [
      'nested compact mapping',
      'metadata: name: x\n',
      ['job.yaml:1:11: Nested mappings are not allowed in compact mappings'],
    ],
    ['unterminated JSON', '{"kind": "Job"', ['job.yaml:1:15: Flow map must end with a }']],
    ['unknown tag', 'kind: !Kind Job\n', ['job.yaml:1:7: Unresolved tag: !Kind']],
    ['a list document', '- a\n- b\n', [`job.yaml:1:1: document 1 is an array, ${NOT_OBJECT}`]],
    ['a scalar document', 'hello\n', [`job.yaml:1:1: document 1 is string "hello", ${NOT_OBJECT}`]],
    [
      'a scalar second document',
      'kind: Job\n---\n42\n',
      [`job.yaml:3:1: document 2 is number 42, ${NOT_OBJECT}`],
    ],
    [
      'a List item that is not an object',
      'kind: List\nitems:\n  - kind: Job\n  - 3\n',
      [`job.yaml:4:5: items[1] of document 1 is number 3, ${NOT_OBJECT}`],
    ],
    [
      'a List without items',
      'kind: List\n',
      ['job.yaml:1:1: a List needs items: an array of objects'],
    ],
    [
      'binary data',
      'data: !!binary aGVsbG8=\n',
      ['job.yaml:1:1: data: unsupported value (Buffer)'],
    ],
    ['a set', 'data: !!set {a, b}\n', ['job.yaml:1:1: data: unsupported value (Set)']],
    [
      'infinity',
      'spec:\n  completions: .inf\n',
      ['job.yaml:1:1: spec.completions: must be a finite number (got Infinity)'],
    ],
  ];
  for (const [name, text, want] of errors) {
    it(`reports ${name} with file:line:column`, () => {
      assert.deepEqual(parseManifests(text, 'job.yaml').errors, want);
    });
  }

  it('keeps the good documents of a file with a bad one', () => {
    const r = parseManifests('kind: Job\n---\nkind: [\n---\nkind: Run\n', 'mixed.yaml');
    assert.deepEqual(
      r.manifests.map((m) => m.object.kind),
      ['Job', 'Run'],
    );
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0] ?? '', /^mixed\.yaml:\d+:\d+: /);
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      '',
    ].join('\n');
    const r = parseManifests(bomb, 'bomb.yaml');
    assert.deepEqual(r.manifests, []);
    assert.deepEqual(r.errors, [
      'bomb.yaml:1:1: document 1 uses YAML aliases too heavily (more than 100 expansions); refusing a possible alias bomb',
    ]);
  });

  it('allows ordinary anchors and aliases', () => {
    const r = parseManifests(
      'metadata:\n  labels: &l {team: data}\nspec:\n  nodeSelector: *l\n',
      'a.yaml',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual((r.manifests[0]?.object.spec as Record<string, unknown>).nodeSelector, {
      team: 'data',
    });
  });

  it('refuses invalid UTF-8', () => {
    const r = parseManifests(new Uint8Array([0x6b, 0x3a, 0x20, 0xff, 0xfe]), 'bin.yaml');
    assert.deepEqual(r.errors, ['bin.yaml: not valid UTF-8 text']);
  });

  it('keeps a __proto__ key as data, which validation then refuses', () => {
    const r = parseManifests(
      'apiVersion: jobctl.dev/v1\nkind: Job\nmetadata:\n  name: p\n  __proto__: {polluted: true}\nspec: {}\n',
      'p.yaml',
    );
    const obj = r.manifests[0]?.object;
    assert.ok(obj);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const v = validateManifest(obj);
    assert.equal(v.ok, false);
    assert.deepEqual(v.errors, [
      { path: 'metadata.__proto__', message: 'unknown field "__proto__"' },
    ]);
  });
});

describe('size limits', () => {
  it('checkManifestSize accepts up to 1 MiB and refuses more', () => {
    assert.equal(checkManifestSize(MAX_MANIFEST_BYTES, 'a.yaml'), undefined);
    assert.equal(
      checkManifestSize(MAX_MANIFEST_BYTES + 1, 'big.yaml'),
      'big.yaml: manifest is 1048577 bytes, over the limit of 1048576 bytes (1 MiB)',
    );
    assert.equal(checkManifestSize('é'.repeat(MAX_MANIFEST_BYTES / 2), 'a.yaml'), undefined);
    assert.notEqual(checkManifestSize('é'.repeat(MAX_MANIFEST_BYTES / 2 + 1), 'a.yaml'), undefined);
  });

  it('parseManifests refuses a file over 1 MiB without parsing it', () => {
    const text = `kind: Job\nmetadata:\n  annotations:\n    a: "${'x'.repeat(MAX_MANIFEST_BYTES)}"\n`;
    const r = parseManifests(text, 'big.yaml');
    assert.deepEqual(r.manifests, []);
    assert.deepEqual(r.errors, [
      `big.yaml: manifest is ${Buffer.byteLength(text)} bytes, over the limit of 1048576 bytes (1 MiB)`,
    ]);
  });
});
