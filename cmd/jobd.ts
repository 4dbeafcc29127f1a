#!/usr/bin/env node
// jobd: flags / YAML config -> NodeConfig -> startNode(); signal handling only.
//   jobd --id 1 --listen 127.0.0.1:50051 --http 127.0.0.1:8081 --peers 1=127.0.0.1:50051,2=...
//        --data-dir DIR --runtime docker --default-image busybox:latest [--labels k=v,...]
//        [--name NAME] [--max-runs 16] [--capacity cpu=2,memory=4Gi,runs=16]
//        [--shutdown-grace 30s] [--backoff-base-ms 10000] [--backoff-max-ms 360000]
//        [--node-grace-ms 5000] [--max-log-bytes N] [--event-ttl-ms 3600000]
//        [--log-level info] [--log-format auto]
//        [--tls-ca F --tls-cert F --tls-key F] [--rate-limit 200:400] [--config FILE]
//   jobd --id 4 --listen HOST:PORT --join HOST:PORT,... --data-dir DIR [--advertise HOST:PORT]
//   jobd restore --from FILE --data-dir DIR --id N --peers ID=HOST:PORT,...  (pkg/node/restore.ts)
//   jobd certs --out DIR --nodes 3 [--users admin:system:masters,...]   (pkg/tls/certs-command.ts)
//        [--auth] [--bootstrap-token-file FILE] [--audit-log FILE] [--audit-max-bytes N] [--audit-max-files N]
// Bad flags: one line on stderr, exit 2. SIGTERM/SIGINT: graceful shutdown
// (DESIGN.md §5): cordon this node, start no new Runs, let running ones finish
// for up to --shutdown-grace (a second signal cuts that short, a third exits at
// once), stop the rest as Lost/NodeShutdown, hand off leadership, stop, exit 0.
// Start-up fails (bad data dir, port taken, cannot join): one line
// `jobd: ...` on stderr, exit 1. A fatal node error later: one log line, exit 1.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { DEFAULT_RATE_LIMIT, parseRateLimit } from '../pkg/util/rate-limit.js';
import { hideBin } from 'yargs/helpers';
import { parse as parseYaml } from 'yaml';
import {
  nodeDefaults,
  parseHostPort,
  parseCapacity,
  parseLabels,
  parsePeers,
  parseTlsFlags,
  type NodeConfig,
} from '../pkg/node/config.js';
import { installClockSkewHook } from '../pkg/node/clock-skew.js';
import { limitHeapGrowth } from '../pkg/node/heap-growth.js';
import {
  LOG_FORMATS,
  LOG_LEVELS,
  createNodeLogger,
  parseLogLevel,
  type LogFormat,
} from '../pkg/node/logger.js';
import { loadTlsMaterial } from '../pkg/tls/files.js';
import type { RuntimeKind } from '../pkg/runtime/index.js';
import { isDns1123Label } from '../pkg/store/index.js';
import { parseDuration } from '../pkg/util/duration.js';
import { JobctlError, Reason, errorMessage } from '../pkg/util/errors.js';

/** --shutdown-grace: a duration (30s, 2m, 0). */
function shutdownGrace(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0) {
    throw new JobctlError(
      Reason.Invalid,
      `--shutdown-grace: "${value}" is not a duration (e.g. 30s, 2m, 0)`,
    );
  }
  return ms;
}

/** A message as one line (a wrapped cause may carry newlines). */
function oneLine(msg: string): string {
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

function usageError(msg: string): never {
  process.stderr.write(`jobd: ${msg}\n`);
  process.exit(2);
}

/** --join HOST:PORT,... */
function parseJoin(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new JobctlError(Reason.Invalid, '--join: expected HOST:PORT,...');
  return list.map((s) => parseHostPort(s, '--join'));
}

function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    usageError(`cannot read --config ${path}: ${errorMessage(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    usageError(`--config ${path}: invalid YAML: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    usageError(`--config ${path}: expected a mapping`);
  return doc as Record<string, unknown>;
}

/** The TLS flags, checked now (readable, PEM, consistent) so a bad file is one line at start-up. */
function tlsPaths(ca: unknown, cert: unknown, key: unknown): NodeConfig['tls'] {
  const paths = parseTlsFlags(ca, cert, key);
  if (!paths) return undefined;
  const abs = { ca: resolve(paths.ca), cert: resolve(paths.cert), key: resolve(paths.key) };
  loadTlsMaterial(abs);
  return abs;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'restore') {
    const { runRestoreCommand } = await import('../pkg/node/restore.js');
    process.exit(await runRestoreCommand(hideBin(process.argv).slice(1)));
  }
  if (process.argv[2] === 'certs') {
    const { runCertsCommand } = await import('../pkg/tls/certs-command.js');
    process.exit(await runCertsCommand(hideBin(process.argv).slice(1)));
  }
  const argv = await yargs(hideBin(process.argv))
    .scriptName('jobd')
    .usage('$0 --id N --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR [--config FILE]')
    .option('id', { type: 'number', describe: 'this node id (positive integer)' })
    .option('listen', { type: 'string', describe: 'gRPC listen address HOST:PORT (raft + api)' })
    .option('peers', {
      type: 'string',
      describe:
        'bootstrap a new cluster: every member ID=HOST:PORT,... (this node included); ignored once the data dir has its cluster.json',
    })
    .option('join', {
      type: 'string',
      describe:
        'join a running cluster through any of its members HOST:PORT,... (as a learner, promoted once caught up)',
    })
    .option('advertise', {
      type: 'string',
      describe: 'the address peers and clients dial, HOST:PORT (default --listen)',
    })
    .option('data-dir', { type: 'string', describe: 'directory for the WAL and snapshots' })
    .option('config', { type: 'string', describe: 'YAML file with the same settings' })
    .option('http', {
      type: 'string',
      describe: 'REST API address HOST:PORT (/apis/..., /healthz, /readyz, /metrics)',
    })
    .option('runtime', {
      type: 'string',
      choices: ['docker', 'process', 'fake'],
      default: nodeDefaults.runtime,
      describe: 'container runtime of the agent (process: NO isolation; fake: tests)',
    })
    .option('max-log-bytes', {
      type: 'number',
      describe: 'bound of each Run log file in bytes (newest kept; default the runtime default)',
    })
    .option('backoff-base-ms', {
      type: 'number',
      default: nodeDefaults.backoffBaseMs,
      describe: 'job controller: first retry delay of a failed Run, ms (doubles)',
    })
    .option('backoff-max-ms', {
      type: 'number',
      default: nodeDefaults.backoffMaxMs,
      describe: 'job controller: retry delay cap, ms',
    })
    .option('node-grace-ms', {
      type: 'number',
      default: nodeDefaults.nodeGraceMs,
      describe: 'node lifecycle: a node silent this long is NotReady and its Runs Lost, ms',
    })
    .option('event-ttl-ms', {
      type: 'number',
      default: nodeDefaults.eventTtlMs,
      describe: 'Events are deleted this long after their last occurrence, ms',
    })
    .option('resync-ms', {
      type: 'number',
      default: nodeDefaults.resyncMs,
      describe:
        'informer resync of the leader controllers and the agent, ms (a safety net; deadlines are timed)',
    })
    .option('default-image', {
      type: 'string',
      default: nodeDefaults.defaultImage,
      describe: 'spec.image of Jobs that name none',
    })
    .option('labels', { type: 'string', describe: 'labels of this Node object: k=v,...' })
    .option('name', { type: 'string', describe: 'name of this Node object (default node-<id>)' })
    .option('max-runs', {
      type: 'number',
      default: nodeDefaults.maxRuns,
      describe: 'Runs this node takes at once (status.capacity.runs)',
    })
    .option('capacity', {
      type: 'string',
      describe:
        'what this node offers the scheduler: cpu=2,memory=4Gi,runs=16 (each optional; default the host, runs --max-runs)',
    })
    .option('shutdown-grace', {
      type: 'string',
      default: '30s',
      describe:
        'on SIGTERM, how long running Runs may finish before they are stopped (0: stop at once)',
    })
    .option('node-heartbeat-ms', {
      type: 'number',
      describe:
        'ms between Node status heartbeats (the lease the cluster watches); default a tenth of --node-grace-ms, 100-1000',
    })
    .option('tick-ms', {
      type: 'number',
      default: nodeDefaults.tickMs,
      describe: 'ms per raft tick',
    })
    .option('tls-ca', {
      type: 'string',
      describe: 'cluster CA certificate (PEM): TLS on; peers must present a certificate it signed',
    })
    .option('tls-cert', {
      type: 'string',
      describe: "this node's certificate (PEM), signed by --tls-ca",
    })
    .option('tls-key', { type: 'string', describe: "this node's private key (PEM)" })
    .option('auth', {
      type: 'boolean',
      default: false,
      describe: 'require a token or client certificate and enforce RBAC on every API call',
    })
    .option('bootstrap-token-file', {
      type: 'string',
      describe: 'first admin token: read if FILE exists, else the first leader writes one (0600)',
    })
    .option('audit-log', {
      type: 'string',
      describe: 'audit log of mutating requests (default <data-dir>/audit.log with --auth)',
    })
    .option('audit-max-bytes', {
      type: 'number',
      describe: 'rotate the audit log before it exceeds this many bytes (default 10 MiB)',
    })
    .option('audit-max-files', {
      type: 'number',
      describe: 'rotated audit logs kept (default 5)',
    })
    .option('election-tick', { type: 'number', default: nodeDefaults.electionTick })
    .option('heartbeat-tick', { type: 'number', default: nodeDefaults.heartbeatTick })
    .option('snapshot-every', { type: 'number', default: nodeDefaults.snapshotEvery })
    .option('rate-limit', {
      type: 'string',
      default: `${DEFAULT_RATE_LIMIT.qps}:${DEFAULT_RATE_LIMIT.burst}`,
      describe: 'API requests per second per client, QPS[:BURST] (gRPC and REST; 0 disables)',
    })
    .option('log-level', {
      type: 'string',
      default: 'info',
      describe: `lowest level logged: ${LOG_LEVELS.join('|')}`,
    })
    .option('log-format', {
      type: 'string',
      choices: LOG_FORMATS,
      default: 'auto',
      describe: 'json lines, or pretty (auto: pretty when stderr is a terminal)',
    })
    .config('config', loadConfigFile)
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => usageError(msg ?? errorMessage(err)))
    .parseAsync();

  let config: NodeConfig;
  try {
    const id = argv.id;
    if (id === undefined || !Number.isInteger(id) || id <= 0)
      throw new JobctlError(Reason.Invalid, '--id must be a positive integer');
    if (!argv.listen) throw new JobctlError(Reason.Invalid, '--listen is required');
    if (!argv.dataDir) throw new JobctlError(Reason.Invalid, '--data-dir is required');
    const positive = (name: string, v: number): number => {
      if (!Number.isInteger(v) || v <= 0)
        throw new JobctlError(Reason.Invalid, `--${name} must be a positive integer`);
      return v;
    };
    const nonNegative = (name: string, v: number): number => {
      if (!Number.isInteger(v) || v < 0)
        throw new JobctlError(Reason.Invalid, `--${name} must be a non-negative integer`);
      return v;
    };
    config = {
      id,
      listen: parseHostPort(argv.listen, '--listen'),
      ...(argv.advertise !== undefined
        ? { advertise: parseHostPort(argv.advertise, '--advertise') }
        : {}),
      ...(argv.join !== undefined ? { join: parseJoin(argv.join) } : {}),
      // Not needed with --join, nor once the data dir has its cluster.json
      // (startNode says so when it is missing and needed).
      peers:
        (argv as Record<string, unknown>).peers === undefined
          ? new Map()
          : parsePeers((argv as Record<string, unknown>).peers),
      dataDir: resolve(argv.dataDir),
      tickMs: positive('tick-ms', argv.tickMs),
      electionTick: positive('election-tick', argv.electionTick),
      heartbeatTick: positive('heartbeat-tick', argv.heartbeatTick),
      snapshotEvery: argv.snapshotEvery,
      http: argv.http === undefined ? undefined : parseHostPort(argv.http, '--http'),
      runtime: argv.runtime as RuntimeKind,
      maxLogBytes:
        argv.maxLogBytes === undefined ? undefined : positive('max-log-bytes', argv.maxLogBytes),
      backoffBaseMs: nonNegative('backoff-base-ms', argv.backoffBaseMs),
      backoffMaxMs: nonNegative('backoff-max-ms', argv.backoffMaxMs),
      nodeGraceMs: positive('node-grace-ms', argv.nodeGraceMs),
      defaultImage: argv.defaultImage,
      labels: parseLabels((argv as Record<string, unknown>).labels),
      name: argv.name,
      maxRuns: nonNegative('max-runs', argv.maxRuns),
      capacity: parseCapacity((argv as Record<string, unknown>).capacity),
      shutdownGraceMs: shutdownGrace(argv.shutdownGrace),
      nodeHeartbeatMs:
        argv.nodeHeartbeatMs === undefined
          ? undefined
          : positive('node-heartbeat-ms', argv.nodeHeartbeatMs),
      eventTtlMs: positive('event-ttl-ms', argv.eventTtlMs),
      resyncMs: positive('resync-ms', argv.resyncMs),
      logLevel: parseLogLevel(argv.logLevel),
      tls: tlsPaths(argv.tlsCa, argv.tlsCert, argv.tlsKey),
      rateLimit: parseRateLimit(argv.rateLimit),
      auth: {
        enabled: argv.auth,
        ...(argv.bootstrapTokenFile
          ? { bootstrapTokenFile: resolve(argv.bootstrapTokenFile) }
          : {}),
        ...(argv.auditLog ? { auditLog: resolve(argv.auditLog) } : {}),
        ...(argv.auditMaxBytes !== undefined
          ? { auditMaxBytes: positive('audit-max-bytes', argv.auditMaxBytes) }
          : {}),
        ...(argv.auditMaxFiles !== undefined
          ? { auditMaxFiles: nonNegative('audit-max-files', argv.auditMaxFiles) }
          : {}),
      },
    };
    if (config.name !== undefined && !isDns1123Label(config.name)) {
      throw new JobctlError(
        Reason.Invalid,
        `--name: "${config.name}" is not a valid node name (lowercase DNS-1123 label)`,
      );
    }
    if (config.heartbeatTick >= config.electionTick) {
      throw new JobctlError(
        Reason.Invalid,
        '--heartbeat-tick must be smaller than --election-tick',
      );
    }
  } catch (err) {
    usageError(errorMessage(err));
  }

  const logger = createNodeLogger({
    level: config.logLevel,
    format: argv.logFormat as LogFormat,
    base: { nodeId: config.id },
  });
  installClockSkewHook(logger);
  // Before the store fills the heap (issue 12 store.memory).
  limitHeapGrowth();
  const { startNode } = await import('../pkg/node/node.js');
  // grpc-js logs a failed bind on its own; start-up failures are our one line.
  const grpc = await import('@grpc/grpc-js');
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  let node;
  try {
    node = await startNode(config, logger);
  } catch (err) {
    process.stderr.write(`jobd: ${oneLine(errorMessage(err))}\n`);
    process.exit(1);
  }
  grpc.setLogVerbosity(grpc.logVerbosity.ERROR);

  let signals = 0;
  const cutShort = new AbortController();
  const shutdown = async (signal: string): Promise<void> => {
    signals++;
    if (signals === 2) {
      logger.warn('second signal; stopping the Runs still running now', { signal });
      cutShort.abort();
      return;
    }
    if (signals > 2) {
      logger.warn('third signal; exiting now', { signal });
      process.exit(1);
    }
    const graceMs = config.shutdownGraceMs ?? nodeDefaults.shutdownGraceMs;
    logger.info('shutting down', { signal, graceMs });
    await node.drain({ graceMs, cutShort: cutShort.signal });
    await node.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  void node.fatal.then(async () => {
    await node.stop();
    process.exit(1);
  });
}

void main().catch((err: unknown) => {
  process.stderr.write(`jobd: ${errorMessage(err)}\n`);
  process.exit(1);
});
