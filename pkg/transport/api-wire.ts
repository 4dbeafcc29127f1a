// Conversions shared by the gRPC server (api-grpc.ts) and client
// (pkg/transport/grpc-client.ts): objects as UTF-8 JSON bytes, and the string enums of
// proto/api.proto (consistency, dry_run) checked on the way in.
import type { Consistency, LogStreamInfo, LogsOptions, RunLogCopy } from '../client/index.js';
import type { LogCopy, LogInfo, LogsRequest } from './gen/api.js';
import { objectJson, type ResourceInput } from '../store/index.js';
import { JobctlError, Reason } from '../util/errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * An object as UTF-8 JSON. A stored (frozen) object is encoded once and its
 * bytes shared by every response and watch stream that sends it (objectJson).
 */
export function encodeObject(object: unknown): Uint8Array {
  if (typeof object === 'object' && object !== null) return objectJson(object);
  return Buffer.from(JSON.stringify(object), 'utf8');
}

/** Bytes -> a JSON object; anything else is Invalid (never a throw of another kind). */
export function decodeObject<T = ResourceInput>(bytes: Uint8Array | undefined): T {
  if (!bytes || bytes.length === 0) {
    throw new JobctlError(Reason.Invalid, 'request carries no object');
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new JobctlError(
      Reason.Invalid,
      `object is not valid UTF-8 JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JobctlError(Reason.Invalid, 'object must be a JSON object');
  }
  return value as T;
}

export function consistencyOf(value: string | undefined): Consistency | undefined {
  if (!value) return undefined;
  if (value === 'linearizable' || value === 'stale') return value;
  throw new JobctlError(
    Reason.Invalid,
    `invalid consistency ${JSON.stringify(value)}: must be linearizable or stale`,
  );
}

export function dryRunOf(value: string | undefined): 'server' | undefined {
  if (!value) return undefined;
  if (value === 'server' || value === 'All') return 'server';
  throw new JobctlError(Reason.Invalid, `invalid dry_run ${JSON.stringify(value)}: must be server`);
}

/** A client's LogsOptions as the Logs RPC's request (the gRPC client and a node's proxy hop). */
export function logsRequestOf(opts: LogsOptions): LogsRequest {
  return {
    namespace: opts.namespace ?? '',
    runName: opts.run ?? '',
    jobName: opts.job ?? '',
    runUid: opts.runUid ?? '',
    hasTail: opts.tail !== undefined,
    tailLines: opts.tail ?? 0,
    follow: opts.follow === true,
    localOnly: opts.localOnly === true,
    hasFromOffset: opts.fromOffset !== undefined,
    fromOffset: opts.fromOffset ?? 0,
    fromCopy: opts.fromCopy === true,
  };
}

/** The Logs RPC's request as the LogsClient call it asks for (the server side). */
export function logsOptionsOf(req: LogsRequest, signal: AbortSignal): LogsOptions {
  return {
    namespace: req.namespace,
    ...(req.runName ? { run: req.runName } : {}),
    ...(req.jobName ? { job: req.jobName } : {}),
    ...(req.runUid ? { runUid: req.runUid } : {}),
    ...(req.hasTail ? { tail: req.tailLines } : {}),
    follow: req.follow,
    ...(req.localOnly ? { localOnly: true } : {}),
    ...(req.hasFromOffset ? { fromOffset: req.fromOffset } : {}),
    ...(req.fromCopy ? { fromCopy: true } : {}),
    signal,
  };
}

/** A logs stream's info as the LogInfo message. */
export function logInfoMessage(info: LogStreamInfo): LogInfo {
  return {
    hasOffset: info.offset !== undefined,
    offset: info.offset ?? 0,
    runName: info.run ?? '',
    runUid: info.runUid ?? '',
    copyNode: info.copy?.node ?? '',
    unreachableNode: info.copy?.unreachableNode ?? '',
    savedAt: info.copy?.savedAt ?? '',
  };
}

/** The LogInfo message as the client contract's LogStreamInfo. */
export function logStreamInfoOf(m: LogInfo): LogStreamInfo {
  return {
    ...(m.hasOffset ? { offset: m.offset } : {}),
    ...(m.runName ? { run: m.runName } : {}),
    ...(m.runUid ? { runUid: m.runUid } : {}),
    ...(m.copyNode
      ? { copy: { node: m.copyNode, unreachableNode: m.unreachableNode, savedAt: m.savedAt } }
      : {}),
  };
}

/** A Run's log copy as the SaveLogCopy request. */
export function logCopyMessage(c: RunLogCopy): LogCopy {
  return {
    namespace: c.namespace,
    runName: c.run,
    runUid: c.runUid,
    node: c.node,
    savedAt: c.savedAt,
    hasOffset: c.offset !== undefined,
    offset: c.offset ?? 0,
    cut: c.cut,
    data: c.data,
  };
}

/** The SaveLogCopy request as the LogsClient call it asks for. */
export function runLogCopyOf(m: LogCopy): RunLogCopy {
  return {
    namespace: m.namespace,
    run: m.runName,
    runUid: m.runUid,
    node: m.node,
    savedAt: m.savedAt,
    ...(m.hasOffset ? { offset: m.offset } : {}),
    cut: m.cut,
    data: m.data,
  };
}
