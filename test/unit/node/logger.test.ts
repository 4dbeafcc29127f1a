// jobd's pino logger: the JSON line shape (level name, ISO ts, node id, msg,
// fields), level filtering, child bindings, the Raft term on every line, the
// pretty format, and --log-level parsing.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createNodeLogger,
  parseLogLevel,
  withTerm,
  type LogLevel,
  type NodeLogger,
} from '../../../pkg/node/logger.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';

function capture(
  level?: LogLevel,
  format: 'json' | 'pretty' | 'auto' = 'json',
): { log: NodeLogger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = createNodeLogger({
    ...(level ? { level } : {}),
    format,
    base: { nodeId: 3 },
    destination,
  });
  return { log, lines };
}

describe('node logger', () => {
  it('writes one JSON object per line with level, ts, nodeId, msg and the fields', () => {
    const { log, lines } = capture();
    log.info('leader elected', { leader: 2, term: 7 });
    assert.equal(lines.length, 1);
    const obj = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(obj.level, 'info');
    assert.equal(obj.nodeId, 3);
    assert.equal(obj.msg, 'leader elected');
    assert.equal(obj.leader, 2);
    assert.equal(obj.term, 7);
    assert.match(String(obj.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(!('pid' in obj) && !('hostname' in obj), 'no pid/hostname noise');
  });

  it('filters by level (default info)', () => {
    const def = capture();
    def.log.debug('hidden');
    def.log.info('shown');
    assert.deepEqual(
      def.lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
      ['shown'],
    );

    const warn = capture('warn');
    warn.log.debug('d');
    warn.log.info('i');
    warn.log.warn('w');
    warn.log.error('e', { error: 'boom' });
    const got = warn.lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.deepEqual(
      got.map((o) => `${o.level}:${o.msg}`),
      ['warn:w', 'error:e'],
    );

    const debug = capture('debug');
    debug.log.debug('d');
    assert.equal((JSON.parse(debug.lines[0] as string) as { level: string }).level, 'debug');
  });

  it('child loggers add their bindings; withTerm adds the current term', () => {
    const { log, lines } = capture();
    let term: number | undefined;
    const termed = withTerm(log, () => term);
    termed.info('before raft');
    term = 4;
    const agent = termed.child({ component: 'agent' });
    agent.info('started run', { run: 'default/job-a-0' });
    term = 5;
    agent.warn('again', { term: 99 }); // a call's own field wins
    const [first, second, third] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(first && !('term' in first), 'no term before Raft exists');
    assert.equal(second?.component, 'agent');
    assert.equal(second?.term, 4);
    assert.equal(second?.run, 'default/job-a-0');
    assert.equal(second?.nodeId, 3);
    assert.equal(third?.term, 99);
  });

  it('pretty format is human text, not JSON', () => {
    const { log, lines } = capture('info', 'pretty');
    log.info('leader elected', { leader: 2 });
    const text = lines.join('\n');
    assert.match(text, /INFO/);
    assert.match(text, /leader elected/);
    assert.throws(() => JSON.parse(lines[0] as string));
  });

  it('auto is JSON when the destination is not a terminal', () => {
    const lines: string[] = [];
    const log = createNodeLogger({
      format: 'auto',
      isTTY: false,
      destination: { write: (s: string) => void lines.push(s) },
    });
    log.info('x');
    assert.equal((JSON.parse(lines[0] as string) as { msg: string }).msg, 'x');
  });

  it('parses --log-level and names a bad value', () => {
    assert.equal(parseLogLevel('debug'), 'debug');
    assert.equal(parseLogLevel('error'), 'error');
    assert.throws(
      () => parseLogLevel('verbose'),
      (e) =>
        isReason(e, Reason.Invalid) &&
        /--log-level: expected one of debug\|info\|warn\|error, got "verbose"/.test(
          (e as Error).message,
        ),
    );
  });
});
