// NodeConfig: everything one jobd needs, resolved from flags and/or a YAML
// config file (cmd/jobd.ts). Parsing helpers throw JobctlError(Invalid) with a
// message fit for one line on stderr.
import type { NodeId } from '../raft/index.js';
import { DEFAULT_RESYNC_MS } from '../reconcile/index.js';
import type { RuntimeKind } from '../runtime/index.js';
import type { TlsPaths } from '../tls/files.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import { parseCpu, parseMemory } from '../util/quantity.js';
import type { RateLimitOptions } from '../util/rate-limit.js';
import type { LogLevel } from './logger.js';

export interface NodeConfig {
  readonly id: NodeId;
  /** host:port for gRPC (raft + api). */
  readonly listen: string;
  /**
   * The address peers and clients dial (--advertise), when it differs from
   * --listen (e.g. listening on 0.0.0.0, or behind NAT). Default: listen.
   */
  readonly advertise?: string;
  /**
   * Bootstrap only (--peers): every member of a brand-new cluster, this node
   * included. Ignored once the data directory has its cluster.json; empty
   * with --join.
   */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** --join: API addresses of a running cluster to join as a learner (then promoted once caught up). */
  readonly join?: readonly string[];
  readonly dataDir: string;
  /** Milliseconds per Raft tick. Default 50. */
  readonly tickMs: number;
  /** Election timeout in ticks (randomised in [e, 2e)). Default 6. */
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** Snapshot after this many applied entries. Default 50000. */
  readonly snapshotEvery: number;
  /** REST API address (express: /apis/..., /healthz, /readyz, /metrics); omitted: no REST. */
  readonly http?: string;
  /** Container runtime the agent runs Runs with (docker | process | fake). Default docker. */
  readonly runtime?: RuntimeKind;
  /** Bound of each Run's log file in bytes (the newest kept). Default: the runtime's (DEFAULT_MAX_LOG_BYTES). */
  readonly maxLogBytes?: number;
  /** Job controller: first retry back-off of a failed Run, ms (doubling). Default 10 000. */
  readonly backoffBaseMs?: number;
  /** Job controller: back-off cap, ms. Default 360 000. */
  readonly backoffMaxMs?: number;
  /** Node lifecycle: a node silent this long becomes NotReady and its Runs Lost, ms. Default 5 000. */
  readonly nodeGraceMs?: number;
  /** spec.image of Jobs that name none. */
  readonly defaultImage?: string;
  /** Labels of this node's Node object. */
  readonly labels: Readonly<Record<string, string>>;
  /** Name of this node's Node object. Default node-<id>. */
  readonly name?: string;
  /** status.capacity.runs of the Node (--max-runs). Default 16; --capacity runs= wins. */
  readonly maxRuns?: number;
  /** --capacity: what this node offers the scheduler. Omitted parts: the host's (runs: maxRuns). */
  readonly capacity?: CapacityConfig;
  /** SIGTERM: how long running Runs may finish before they are stopped (--shutdown-grace). Default 30 s. */
  readonly shutdownGraceMs?: number;
  /** Milliseconds between Node status heartbeats. Default nodeHeartbeatMsFor(nodeGraceMs). */
  readonly nodeHeartbeatMs?: number;
  /** Events are deleted this long after their last occurrence, ms (--event-ttl-ms). Default 1 h. */
  readonly eventTtlMs?: number;
  /** Informer resync of the leader's controllers and the agent, ms (--resync-ms). Default 10 h (DEFAULT_RESYNC_MS). */
  readonly resyncMs?: number;
  /** Per-client API rate limit, gRPC and REST (--rate-limit). Default DEFAULT_RATE_LIMIT. */
  readonly rateLimit?: RateLimitOptions;
  /** Lowest level jobd logs (--log-level / logLevel). Default info. */
  readonly logLevel?: LogLevel;
  /** --tls-ca/--tls-cert/--tls-key: mutual TLS between nodes, TLS for clients and REST. Omitted: plaintext. */
  readonly tls?: TlsPaths;
  /** Authentication, authorization and audit (pkg/auth); omitted: auth off, no audit. */
  readonly auth?: NodeAuthConfig;
}

/** jobd --auth, --bootstrap-token-file, --audit-log, --audit-max-bytes, --audit-max-files. */
export interface NodeAuthConfig {
  /** Require credentials and enforce RBAC on every API call. */
  readonly enabled: boolean;
  /** First admin token: read if it exists, else written by the first leader. */
  readonly bootstrapTokenFile?: string;
  /** Audit log file (default <data-dir>/audit.log when enabled). */
  readonly auditLog?: string;
  readonly auditMaxBytes?: number;
  readonly auditMaxFiles?: number;
}

/** jobd --capacity cpu=2,memory=4Gi,runs=16 (each part optional). */
export interface CapacityConfig {
  /** CPU quantity as given ("2", "1500m"). */
  readonly cpu?: string;
  /** Memory quantity as given ("4Gi"). */
  readonly memory?: string;
  readonly runs?: number;
}

export const nodeDefaults = {
  tickMs: 50,
  electionTick: 6,
  heartbeatTick: 2,
  snapshotEvery: 50_000,
  maxRuns: 16,
  defaultImage: 'busybox:latest',
  runtime: 'docker',
  backoffBaseMs: 10_000,
  backoffMaxMs: 360_000,
  nodeGraceMs: 5_000,
  eventTtlMs: 3_600_000,
  resyncMs: DEFAULT_RESYNC_MS,
  shutdownGraceMs: 30_000,
} as const;

function invalid(msg: string): JobctlError {
  return new JobctlError(Reason.Invalid, msg);
}

export function parseHostPort(value: string, what: string): string {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[2]) > 65535) throw invalid(`${what}: expected HOST:PORT, got "${value}"`);
  return value.trim();
}

/** "1=h:p,2=h:p" or {1: "h:p"} -> Map. */
export function parsePeers(value: unknown): Map<NodeId, string> {
  const peers = new Map<NodeId, string>();
  const add = (idText: string, addr: unknown): void => {
    const id = Number(idText);
    if (!Number.isInteger(id) || id <= 0) throw invalid(`--peers: bad node id "${idText}"`);
    if (typeof addr !== 'string') throw invalid(`--peers: bad address for node ${id}`);
    if (peers.has(id)) throw invalid(`--peers: node ${id} listed twice`);
    peers.set(id, parseHostPort(addr, `--peers (node ${id})`));
  };
  if (typeof value === 'string') {
    for (const part of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw invalid(`--peers: expected ID=HOST:PORT, got "${part}"`);
      add(part.slice(0, eq), part.slice(eq + 1));
    }
  } else if (Array.isArray(value)) {
    return parsePeers(value.join(','));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) add(k, v);
  } else {
    throw invalid('--peers is required (ID=HOST:PORT,...)');
  }
  if (peers.size === 0) throw invalid('--peers must list at least this node');
  return peers;
}

/** "k=v,k2=v2" or {k: v} -> record. */
export function parseLabels(value: unknown): Record<string, string> {
  if (value === undefined || value === null || value === '') return {};
  return parseKeyValues(value, '--labels');
}

/** "k=v,k2=v2" or a mapping {k: v} -> record; `flag` names the flag in errors. */
function parseKeyValues(value: unknown, flag: string): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
  const out: Record<string, string> = {};
  for (const part of String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`${flag}: expected KEY=VALUE, got "${part}"`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * --capacity "cpu=2,memory=4Gi,runs=16" (or the same as a mapping in
 * --config): every part is checked now, so a typo is one line at start-up.
 */
export function parseCapacity(value: unknown): CapacityConfig | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parts = parseKeyValues(value, '--capacity');
  const out: { cpu?: string; memory?: string; runs?: number } = {};
  for (const [key, v] of Object.entries(parts)) {
    if (key !== 'cpu' && key !== 'memory' && key !== 'runs') {
      throw invalid(`--capacity: unknown resource "${key}" (cpu, memory, runs)`);
    }
    try {
      if (key === 'cpu') {
        parseCpu(v);
        out.cpu = v;
      } else if (key === 'memory') {
        parseMemory(v);
        out.memory = v;
      } else {
        if (!/^\d+$/.test(v)) throw new Error(`"${v}" is not a whole number`);
        out.runs = Number(v);
      }
    } catch (err) {
      throw invalid(`--capacity ${key}: ${errorMessage(err)}`);
    }
  }
  return out;
}

/** --tls-ca, --tls-cert, --tls-key: all three (TLS on) or none (plaintext). */
export function parseTlsFlags(ca: unknown, cert: unknown, key: unknown): TlsPaths | undefined {
  const given = { '--tls-ca': ca, '--tls-cert': cert, '--tls-key': key };
  const set = Object.entries(given).filter(([, v]) => v !== undefined && v !== '');
  if (set.length === 0) return undefined;
  if (set.length < 3) {
    const missing = Object.keys(given).filter((k) => !set.some(([n]) => n === k));
    throw invalid(
      `--tls-ca, --tls-cert and --tls-key go together: ${set.map(([n]) => n).join(' and ')} given without ${missing.join(' and ')}`,
    );
  }
  for (const [name, v] of set) {
    if (typeof v !== 'string') throw invalid(`${name}: expected a file path`);
  }
  return { ca: String(ca), cert: String(cert), key: String(key) };
}

/**
 * The default heartbeat interval for a grace period: a quarter of it, at least
 * 100 ms (1.25 s for the default 5 s), so a node renews its lease four times
 * per grace period, as a kubelet its Lease (10 s against 40 s). A dead node is
 * declared NotReady once another node's heartbeat shows the log moved on for
 * the grace period since its last one (controllers/nodelifecycle/heartbeats.ts):
 * between the grace minus one interval after the kill (it died just before a
 * renewal) and the grace plus one interval (just after one, and the others'
 * next renewal comes late), about the grace on average. A live node is
 * declared NotReady only if three renewals in a row do not reach the log.
 * Each renewal is a Raft write with an fsync on every member, so the interval
 * is most of what a cluster at rest costs (docs/benchmarks.md, "A cluster at
 * rest"); a tenth of the grace, the default until session 6, cost 2.5 times as
 * many.
 */
export function nodeHeartbeatMsFor(nodeGraceMs: number): number {
  return Math.max(100, Math.round(nodeGraceMs / 4));
}
