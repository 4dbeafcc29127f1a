// Fuzzing the surfaces a hostile client reaches (issue 7): 10,000 generated cases
// in total, counted and printed per surface.
//   - REST: random methods, paths (real routes with junk segments, traversal,
//     encodings; and random strings), query parameters, content types and bodies
//     (random JSON, invalid JSON, YAML-ish text, random bytes, near-valid Jobs).
//   - gRPC: random bytes as the protobuf request of every method (unary and
//     streams), and well-formed requests carrying junk (objects that are random
//     bytes, random JSON or near-valid Jobs; random kinds, names and selectors).
//   - the manifest parser and validator: random YAML-looking text and bytes.
// Properties: nothing crashes (the servers still answer afterwards); no HTTP 500
// and no INTERNAL from a handler; every refusal is a clear error: a known reason
// and a non-empty message without stack frames, one line per problem.
// The servers are in-process (a 1-node in-memory Raft cluster serving the real
// ApiService over real gRPC and REST on 127.0.0.1), so the run stays well under a
// minute. FUZZ_SEED=<n> replays a run; the seed is printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { parseManifests, validateManifest } from '../../../pkg/api/validation/index.js';
import { reasonMetadataKey } from '../../../pkg/transport/errors.js';
import { JobctlClient, JobctlService } from '../../../pkg/transport/gen/api.js';
import { Reason } from '../../../pkg/util/errors.js';
import { startApiCluster, type ApiTestCluster } from './harness.js';
import { startRest, type Harness } from './rest/helpers.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const RUNS = { rest: 2500, grpcBytes: 1250, grpcRequests: 1250, parser: 5000 } as const;
const counts: Record<string, number> = {};
const tally: Record<string, Record<string, number>> = {};
const count = (surface: string, outcome: string): void => {
  counts[surface] = (counts[surface] ?? 0) + 1;
  const t = (tally[surface] ??= {});
  t[outcome] = (t[outcome] ?? 0) + 1;
};

const REASONS = new Set<string>([
  ...Object.values(Reason),
  'BadRequest',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'MethodNotAllowed',
  'NotAcceptable',
]);

/** A refusal message people can read: present, no stack frames, no empty lines, bounded lines. */
function assertClearMessage(message: unknown, context: string): void {
  assert.equal(typeof message, 'string', `no message: ${context}`);
  const m = message as string;
  assert.ok(m.trim().length > 0, `empty message: ${context}`);
  assert.doesNotMatch(m, /\n\s+at [^\n]+:\d+:\d+/, `stack trace in message: ${context}`);
  for (const line of m.split('\n')) {
    assert.ok(line.trim().length > 0, `empty line in message: ${context}: ${JSON.stringify(m)}`);
  }
}

const API = '/apis/jobctl.dev/v1';
const nearJob = fc.record(
  {
    apiVersion: fc.oneof(fc.constant('jobctl.dev/v1'), fc.string()),
    kind: fc.constantFrom(
      'Job',
      'CronJob',
      'Run',
      'Node',
      'Event',
      'SandboxPolicy',
      'List',
      'job',
      '',
    ),
    metadata: fc.oneof(
      fc.record({
        name: fc.oneof(fc.constantFrom('ok', '../etc', 'a/b', '.', '..', 'A', ''), fc.string()),
        namespace: fc.oneof(fc.constantFrom('default', '../../x', 'kube system', ''), fc.string()),
        labels: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
      }),
      fc.jsonValue(),
    ),
    spec: fc.oneof(
      fc.record({
        image: fc.oneof(fc.constant('busybox:latest'), fc.string()),
        command: fc.oneof(fc.array(fc.string(), { maxLength: 4 }), fc.string(), fc.jsonValue()),
        env: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), fc.jsonValue()),
        sandbox: fc.oneof(
          fc.record({
            network: fc.constantFrom('none', 'bridge', 'host'),
            user: fc.constantFrom('0', '65534:65534', '1000', 'root', '-1'),
            readOnlyRootFilesystem: fc.jsonValue(),
          }),
          fc.jsonValue(),
        ),
        resources: fc.record({ cpu: fc.jsonValue(), memory: fc.jsonValue() }),
        completions: fc.jsonValue(),
      }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

const segment = fc.oneof(
  fc.constantFrom(
    'default',
    'jobs',
    'runs',
    'nodes',
    'cronjobs',
    'events',
    'sandboxpolicies',
    'status',
    'log',
    '..',
    '%2e%2e',
    '%2F',
    '%00',
    '%ZZ',
    'a'.repeat(300),
    'Ünïcode',
    '*',
    '',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const restPath = fc.oneof(
  fc.tuple(fc.array(segment, { maxLength: 4 })).map(([s]) => `${API}/namespaces/${s.join('/')}`),
  fc.tuple(segment, segment).map(([a, b]) => `${API}/${a}/${b}`),
  fc.constantFrom(
    '/',
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/node',
    '/api/cluster/status',
    '/api/apply',
    API,
    '/apis',
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
  ),
  fc.string({ maxLength: 40 }).map((s) => `/${encodeURI(s)}`),
);
const queryValue = fc.oneof(
  fc.constantFrom('true', 'false', '0', '-1', '1e9', 'a=b,c!=d', 'x in (a,b', '%', ''),
  fc.string({ maxLength: 20 }),
);
const query = fc
  .dictionary(
    fc.constantFrom(
      'watch',
      'labelSelector',
      'fieldSelector',
      'limit',
      'continue',
      'dryRun',
      'resourceVersion',
      'tail',
      'follow',
      'force',
      'x',
    ),
    queryValue,
    { maxKeys: 3 },
  )
  .map((q) => {
    // A watch that the server accepts streams until closed: the property is about refusals.
    const params = new URLSearchParams(q as Record<string, string>);
    params.delete('watch');
    params.delete('follow');
    const s = params.toString();
    return s ? `?${s}` : '';
  });
const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  nearJob.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"kind":',
    '[]',
    'null',
    '{"a":1}{"b":2}',
    'a: [1, *x]',
    'a: &x [*x]',
    '--- !!python/object:os.system\n',
    '\u0000\uffff',
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);
const restCase = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path: restPath,
  query,
  contentType: fc.constantFrom(
    'application/json',
    'application/yaml',
    'application/merge-patch+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
    'x/y; charset=klingon',
  ),
  header: fc.tuple(
    fc.constantFrom('x-junk', 'accept', 'authorization', 'content-encoding'),
    fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  ),
  body: fc.option(body, { nil: undefined }),
});

describe('fuzzing the REST, gRPC and manifest surfaces', { timeout: 300_000 }, () => {
  let cluster: ApiTestCluster;
  let rest: Harness;

  before(async () => {
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it)`);
    cluster = await startApiCluster({ nodes: 1 });
    rest = await startRest({ client: cluster.members[0]!.service });
  });

  after(async () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    for (const [surface, n] of Object.entries(counts)) {
      console.log(`fuzz ${surface}: ${n} cases ${JSON.stringify(tally[surface])}`);
    }
    console.log(`fuzz total: ${total} cases`);
    await rest?.rest.close();
    await cluster?.close();
  });

  it(`REST: ${RUNS.rest} random requests, no 500, every refusal a clear Status`, async () => {
    await fc.assert(
      fc.asyncProperty(restCase, async (c) => {
        const headers: Record<string, string> = { [c.header[0]]: c.header[1] };
        if (c.contentType) headers['content-type'] = c.contentType;
        const withBody = c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD';
        const ctx = `${c.method} ${c.path}${c.query} ${c.contentType} ${JSON.stringify(c.body)?.slice(0, 200)}`;
        let res: Response;
        try {
          res = await fetch(`${rest.base}${c.path}${c.query}`, {
            method: c.method,
            headers,
            ...(withBody ? { body: c.body } : {}),
            signal: AbortSignal.timeout(10_000),
          });
        } catch (err) {
          // fetch itself refuses some inputs (bad header values): not the server's doing.
          if (err instanceof TypeError && !/fetch failed/.test(err.message)) {
            count('rest', 'client-refused');
            return;
          }
          throw new Error(
            `request failed: ${String(err)} (cause ${String((err as Error).cause)}): ${ctx}`,
          );
        }
        assert.notEqual(res.status, 500, ctx);
        assert.ok(
          res.status < 500 || res.status === 503 || res.status === 504,
          `${res.status}: ${ctx}`,
        );
        if (res.status < 400) {
          await res.body?.cancel();
          count('rest', `${res.status}`);
          return;
        }
        const text = await res.text();
        if (c.method === 'HEAD') {
          count('rest', `${res.status}`);
          return;
        }
        let status: { kind?: string; reason?: string; message?: string; code?: number };
        try {
          status = JSON.parse(text) as typeof status;
        } catch {
          throw new Error(
            `refusal ${res.status} is not a JSON Status: ${text.slice(0, 200)}: ${ctx}`,
          );
        }
        assert.equal(status.kind, 'Status', ctx);
        assert.equal(status.code, res.status, ctx);
        assert.ok(REASONS.has(status.reason ?? ''), `reason ${status.reason}: ${ctx}`);
        assertClearMessage(status.message, ctx);
        count('rest', `${res.status} ${status.reason}`);
      }),
      { numRuns: RUNS.rest, seed: SEED },
    );
    // Still serving.
    assert.equal((await fetch(`${rest.base}/healthz`)).status, 200);
  });

  const address = (): string => cluster.members[0]!.address;
  const UNARY = [
    'Apply',
    'Create',
    'Update',
    'UpdateStatus',
    'Get',
    'List',
    'Delete',
    'ClusterStatus',
    'NodeStatus',
    'TransferLeader',
    'SaveLogCopy',
    'SaveLogCopies',
  ];
  const STREAMS = ['Watch', 'Logs'];

  interface Outcome {
    readonly code: number;
    readonly reason: string | undefined;
    readonly details: string;
  }

  /** One call with raw request bytes; a stream is cancelled at its first message or after 50 ms. */
  function rawCall(client: grpc.Client, method: string, payload: Buffer): Promise<Outcome> {
    const path = `/jobctl.api.v1.Jobctl/${method}`;
    const id = (b: Buffer): Buffer => b;
    const outcome = (err: grpc.ServiceError | null): Outcome => {
      const reason = err?.metadata?.get(reasonMetadataKey)[0];
      return {
        code: err?.code ?? grpc.status.OK,
        reason: typeof reason === 'string' ? reason : undefined,
        details: err?.details ?? '',
      };
    };
    if (!STREAMS.includes(method)) {
      return new Promise((resolve) => {
        client.makeUnaryRequest(path, id, id, payload, { deadline: Date.now() + 10_000 }, (err) =>
          resolve(outcome(err)),
        );
      });
    }
    return new Promise((resolve) => {
      const call = client.makeServerStreamRequest(path, id, id, payload, {
        deadline: Date.now() + 10_000,
      });
      let done = false;
      const finish = (o: Outcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        call.cancel();
        resolve(o);
      };
      const timer = setTimeout(
        () => finish({ code: grpc.status.OK, reason: undefined, details: 'open' }),
        50,
      );
      call.on('data', () => finish({ code: grpc.status.OK, reason: undefined, details: 'data' }));
      call.on('error', (err: grpc.ServiceError) => finish(outcome(err)));
      call.on('end', () => finish({ code: grpc.status.OK, reason: undefined, details: 'end' }));
    });
  }

  /** The gRPC properties: no INTERNAL from a handler, every handler refusal clear. */
  function check(surface: string, method: string, o: Outcome, ctx: string): void {
    if (o.code === grpc.status.OK) {
      count(surface, 'OK');
      return;
    }
    if (o.reason === undefined) {
      // Refused by grpc-js before any handler ran: undecodable protobuf.
      assert.equal(
        o.code,
        grpc.status.INTERNAL,
        `${method}: code ${o.code} without a reason: ${o.details}: ${ctx}`,
      );
      assert.match(o.details, /^Error deserializing request/, ctx);
      count(surface, 'undecodable (grpc-js)');
      return;
    }
    assert.notEqual(o.reason, Reason.Internal, `${method}: handler INTERNAL: ${o.details}: ${ctx}`);
    assert.ok(REASONS.has(o.reason), `${method}: reason ${o.reason}: ${ctx}`);
    assertClearMessage(o.details, `${method}: ${ctx}`);
    count(surface, o.reason);
  }

  it(`gRPC: ${RUNS.grpcBytes} random protobuf-ish payloads on every method`, async () => {
    const client = new grpc.Client(address(), grpc.credentials.createInsecure());
    try {
      // Protobuf-ish: random bytes, and random fields with random wire types and lengths.
      const field = fc
        .tuple(
          fc.integer({ min: 1, max: 12 }),
          fc.constantFrom(0, 1, 2, 5),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([n, wire, data]) => {
          const tag = Buffer.from([(n << 3) | wire]);
          if (wire === 2)
            return Buffer.concat([tag, Buffer.from([data.length]), Buffer.from(data)]);
          if (wire === 1) return Buffer.concat([tag, Buffer.alloc(8, data[0] ?? 0)]);
          if (wire === 5) return Buffer.concat([tag, Buffer.alloc(4, data[0] ?? 0)]);
          return Buffer.concat([tag, Buffer.from([(data[0] ?? 0) & 0x7f])]);
        });
      const payload = fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.array(field, { maxLength: 6 }).map((fs) => Buffer.concat(fs)),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...UNARY, ...STREAMS), payload, async (method, bytes) => {
          const o = await rawCall(client, method, bytes);
          check('grpc-bytes', method, o, bytes.toString('hex').slice(0, 200));
        }),
        { numRuns: RUNS.grpcBytes, seed: SEED },
      );
    } finally {
      client.close();
    }
  });

  it(`gRPC: ${RUNS.grpcRequests} well-formed requests with junk objects, kinds, names, selectors`, async () => {
    const client = new JobctlClient(address(), grpc.credentials.createInsecure());
    const text = fc.oneof(
      fc.constantFrom(
        '',
        'jobs',
        'job',
        'Job',
        'runs',
        'nodes',
        'cronjobs',
        'events',
        'sandboxpolicies',
        'default',
        '../..',
        'a/b',
        '%00',
        'x'.repeat(500),
        'a=b',
        'a in (b',
        '!a',
        'status.phase=Running',
        'metadata.name=x',
      ),
      fc.string({ maxLength: 30 }),
    );
    const objectBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
      nearJob.map((v) => Buffer.from(JSON.stringify(v))),
    );
    const request = fc.oneof(
      fc.record({
        method: fc.constantFrom('apply'),
        req: fc.record({
          object: objectBytes,
          dryRun: fc.constantFrom('', 'server', 'All', 'client', 'junk'),
          force: fc.boolean(),
        }),
      }),
      fc.record({
        method: fc.constantFrom('create', 'update', 'updateStatus'),
        req: fc.record({ object: objectBytes }),
      }),
      fc.record({
        method: fc.constantFrom('get'),
        req: fc.record({ kind: text, namespace: text, name: text, consistency: text }),
      }),
      fc.record({
        method: fc.constantFrom('list'),
        req: fc.record({
          kind: text,
          namespace: text,
          labelSelector: text,
          fieldSelector: text,
          limit: fc.nat({ max: 2 ** 32 - 1 }),
          continue: text,
          consistency: text,
        }),
      }),
      fc.record({
        method: fc.constantFrom('delete'),
        req: fc.record({
          kind: text,
          namespace: text,
          name: text,
          preconditions: fc.constant(undefined),
          dryRun: fc.constantFrom('', 'server', 'junk'),
        }),
      }),
      fc.record({
        method: fc.constantFrom('watch'),
        req: fc.record({
          kind: text,
          namespace: text,
          labelSelector: text,
          fieldSelector: text,
          resourceVersion: text,
        }),
      }),
      fc.record({
        method: fc.constantFrom('logs'),
        req: fc.record({
          namespace: text,
          runName: text,
          jobName: text,
          runUid: text,
          hasTail: fc.boolean(),
          tailLines: fc.nat({ max: 2 ** 32 - 1 }),
          follow: fc.boolean(),
          localOnly: fc.constant(false),
          hasFromOffset: fc.boolean(),
          fromOffset: fc.nat(),
          fromCopy: fc.boolean(),
        }),
      }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(request, async ({ method, req }) => {
          const o = await new Promise<Outcome>((resolve) => {
            const fin = (err: grpc.ServiceError | null): void => {
              const reason = err?.metadata?.get(reasonMetadataKey)[0];
              resolve({
                code: err?.code ?? 0,
                reason: typeof reason === 'string' ? reason : undefined,
                details: err?.details ?? '',
              });
            };
            const opts = { deadline: Date.now() + 10_000 };
            // The generated definition of the method: its path and codecs.
            const def = JobctlService[method] as grpc.MethodDefinition<unknown, unknown>;
            const [ser, de] = [def.requestSerialize, def.responseDeserialize];
            if (def.responseStream) {
              const md = new grpc.Metadata();
              const call = client.makeServerStreamRequest(def.path, ser, de, req, md, opts);
              let done = false;
              const finish = (err: grpc.ServiceError | null): void => {
                if (done) return;
                done = true;
                clearTimeout(timer);
                call.cancel();
                fin(err);
              };
              const timer = setTimeout(() => finish(null), 50);
              call.on('data', () => finish(null));
              call.on('error', (err: grpc.ServiceError) => finish(err));
              call.on('end', () => finish(null));
            } else {
              client.makeUnaryRequest(def.path, ser, de, req, new grpc.Metadata(), opts, fin);
            }
          });
          check(
            'grpc-requests',
            method,
            o,
            JSON.stringify(req, (_k, v: unknown) =>
              Buffer.isBuffer(v) ? v.toString('latin1') : v,
            ).slice(0, 300),
          );
        }),
        { numRuns: RUNS.grpcRequests, seed: SEED },
      );
    } finally {
      client.close();
    }
    // Still serving.
    const after = await rawCall(
      new grpc.Client(address(), grpc.credentials.createInsecure()),
      'NodeStatus',
      Buffer.alloc(0),
    );
    assert.equal(after.code, grpc.status.OK);
  });

  it(`manifest parser and validator: ${RUNS.parser} random documents`, () => {
    const token = fc.constantFrom(
      'apiVersion: jobctl.dev/v1\n',
      'kind: Job\n',
      'kind: SandboxPolicy\n',
      'metadata:\n  name: x\n',
      'spec:\n',
      '  command: ',
      '&a ',
      '*a',
      '[',
      ']',
      '{',
      '}',
      '- ',
      ': ',
      '---\n',
      '...\n',
      '!!binary ',
      '!custom ',
      '<<: *a\n',
      '"\\u0000"',
      "'",
      '#',
      '\t',
      '  ',
      '\n',
      'null',
      '~',
      '0x1F',
      '1e999',
      '.nan',
      'yes',
      '? ',
      '|\n',
      '>-\n',
      '%YAML 1.1\n',
      '%TAG ! tag:x\n',
    );
    const doc = fc.oneof(
      fc
        .array(fc.oneof(token, fc.string({ maxLength: 8 })), { maxLength: 40 })
        .map((a) => a.join('')),
      fc.uint8Array({ maxLength: 300 }),
      nearJob.map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(doc, (text) => {
        const r = parseManifests(text, 'fuzz.yaml');
        for (const e of r.errors) {
          assert.ok(e.startsWith('fuzz.yaml'), e);
          assertClearMessage(e, 'parser');
        }
        for (const m of r.manifests) {
          const v = validateManifest(m.object, { source: 'fuzz.yaml' });
          if (!v.ok) for (const e of v.errors) assertClearMessage(e.message, `validate ${e.path}`);
        }
        count(
          'parser',
          r.errors.length > 0 ? 'parse-error' : r.manifests.length > 0 ? 'parsed' : 'empty',
        );
      }),
      { numRuns: RUNS.parser, seed: SEED },
    );
  });

  it('ran every case, and the cases reached the code behind each surface', () => {
    // Each surface ran all its cases (a property that stopped early fails above,
    // but a case that returned before count() would not)...
    assert.deepEqual(counts, {
      rest: RUNS.rest,
      'grpc-bytes': RUNS.grpcBytes,
      'grpc-requests': RUNS.grpcRequests,
      parser: RUNS.parser,
    });
    // ...and the generators are not so wild that every case bounced off the
    // first gate: cases got past decoding to the handlers behind it.
    const outcomes = (surface: string): string[] => Object.keys(tally[surface] ?? {});
    const rest = outcomes('rest');
    assert.ok(
      rest.some((o) => /^2\d\d$/.test(o)),
      `no REST request served: ${rest}`,
    );
    assert.ok(
      rest.some((o) => /^4\d\d [A-Za-z]+$/.test(o)),
      `no REST refusal: ${rest}`,
    );
    const bytes = outcomes('grpc-bytes');
    assert.ok(
      bytes.some((o) => o !== 'undecodable (grpc-js)'),
      `no random payload reached a gRPC handler: ${bytes}`,
    );
    // (Served ones are rare here: a few per thousand, too few to require.)
    const requests = outcomes('grpc-requests');
    assert.ok(
      requests.some((o) => o !== 'OK'),
      `no well-formed gRPC request refused by a handler: ${requests}`,
    );
    const parser = outcomes('parser');
    assert.ok(parser.includes('parsed'), `no random document parsed: ${parser}`);
    assert.ok(parser.includes('parse-error'), `no random document refused: ${parser}`);
  });
});
