// Group commit at the level of meaning: the store commands of many concurrent
// writers (API calls, controllers, heartbeats, agent status batches) packed
// into one Raft entry, a `group` command (pkg/store/commands.ts), so that one
// append, one fsync per member and one decode on apply serve them all.
//
// When a batch leaves: as soon as nothing of this batcher is committing (one
// event-loop turn after the first write, so that the writes of one turn travel
// together), else when the entry in flight has been applied, or at once when
// the batch is full (maxCommands, maxBytes). Never on a timer: an idle node
// proposes a lone write after one turn, and under load the batch grows by
// itself while the previous entry commits.
//
// Each writer gets its own answer (created, configured, unchanged, Conflict,
// Invalid ...) and its own resourceVersion: the store applies the items in
// order as if each were an entry of its own. A failure of the entry itself
// (Timeout, Unavailable, TooManyRequests from Raft) is every item's failure:
// an entry commits whole or not at all.
import type { Command, CommandResult, GroupResult } from '../store/index.js';
import { encodeCommandJson, encodeGroup } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { JobctlError, Reason } from '../util/errors.js';

export interface BatchLimits {
  /** Most commands in one entry. Default 512. */
  readonly maxCommands?: number;
  /** A batch is closed before its JSON would pass this many bytes. Default 1 MiB. */
  readonly maxBytes?: number;
  /**
   * Entries of this batcher committing at once before writes wait for one of
   * them to be applied (full batches leave regardless). Default 1.
   */
  readonly maxInFlight?: number;
  /** Writes waiting for a batch beyond which a write fails at once (TooManyRequests). Default 4096. */
  readonly maxQueued?: number;
}

/** Proposes one entry's bytes; resolves with the store's result once applied here. */
export type EntrySender = (data: Uint8Array, opts: { timeoutMs: number }) => Promise<unknown>;

export interface CommandBatcherOptions extends BatchLimits {
  readonly send: EntrySender;
  /** Deadline of one write, from the moment it is handed in. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  /** Runs `fn` after the current event-loop turn's I/O (default setImmediate). */
  readonly defer?: (fn: () => void) => void;
}

interface Item {
  /** The command as JSON (serialized once, when handed in). */
  readonly json: string;
  readonly deadline: number;
  readonly resolve: (r: CommandResult) => void;
  readonly reject: (err: unknown) => void;
}

export class CommandBatcher {
  private readonly send: EntrySender;
  private readonly maxCommands: number;
  private readonly maxBytes: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly defer: (fn: () => void) => void;

  private queue: Item[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  /** Bumped by release(): entries sent before no longer count as in flight. */
  private generation = 0;
  private deferred = false;

  constructor(opts: CommandBatcherOptions) {
    this.send = opts.send;
    this.maxCommands = Math.max(1, opts.maxCommands ?? 512);
    this.maxBytes = Math.max(1, opts.maxBytes ?? 1 << 20);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
    this.maxQueued = opts.maxQueued ?? 4096;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.clock = opts.clock ?? realClock;
    this.defer = opts.defer ?? ((fn) => setImmediate(fn));
  }

  /** Writes waiting for a batch, and entries committing (for tests and metrics). */
  get pending(): { queued: number; inFlight: number } {
    return { queued: this.queue.length, inFlight: this.inFlight };
  }

  propose(command: Command): Promise<CommandResult> {
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        new JobctlError(Reason.TooManyRequests, 'too many writes waiting; retry later'),
      );
    }
    let json: string;
    try {
      json = JSON.stringify(command);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({
        json,
        deadline: this.clock.monotonic() + this.timeoutMs,
        resolve,
        reject,
      });
      this.queuedBytes += itemBytes(json);
      if (
        this.queue.length >= this.maxCommands ||
        this.queuedBytes + GROUP_BYTES >= this.maxBytes
      ) {
        this.flushFull();
      }
      if (!this.deferred && this.queue.length > 0) {
        this.deferred = true;
        this.defer(() => {
          this.deferred = false;
          this.flush();
        });
      }
    });
  }

  /**
   * Stops waiting for the entries in flight (they keep their writers): call it
   * when the leader changes, since an entry handed to a leader that died may
   * only end at its deadline, and the writes behind it must not wait that long.
   */
  release(): void {
    this.generation++;
    this.inFlight = 0;
    this.flush();
  }

  /** Sends batches while fewer than maxInFlight entries are committing. */
  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) this.sendBatch();
  }

  /** Sends full batches whatever is in flight (the size bound). */
  private flushFull(): void {
    while (
      this.queue.length >= this.maxCommands ||
      (this.queue.length > 0 && this.queuedBytes + GROUP_BYTES >= this.maxBytes)
    ) {
      this.sendBatch();
    }
  }

  /** Takes the oldest writes that fit one entry and proposes them. */
  private sendBatch(): void {
    const now = this.clock.monotonic();
    const batch: Item[] = [];
    let bytes = GROUP_BYTES;
    let taken = 0;
    while (taken < this.queue.length && batch.length < this.maxCommands) {
      const item = this.queue[taken] as Item;
      const size = itemBytes(item.json);
      if (batch.length > 0 && bytes + size > this.maxBytes) break;
      taken++;
      this.queuedBytes -= size;
      if (item.deadline <= now) {
        // Never proposed, so it cannot commit: a plain Timeout.
        item.reject(new JobctlError(Reason.Timeout, 'write not proposed before its deadline'));
        continue;
      }
      batch.push(item);
      bytes += size;
    }
    this.queue = this.queue.slice(taken);
    if (batch.length === 0) return;
    const timeoutMs = Math.max(1, Math.min(...batch.map((i) => i.deadline)) - now);
    const data =
      batch.length === 1
        ? encodeCommandJson((batch[0] as Item).json)
        : encodeGroup(batch.map((i) => i.json));
    this.inFlight++;
    const generation = this.generation;
    const landed = (): void => {
      if (generation === this.generation) this.inFlight--;
    };
    let sent: Promise<unknown>;
    try {
      sent = this.send(data, { timeoutMs });
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (result) => {
        landed();
        deliver(batch, result);
        this.flush();
      },
      (err: unknown) => {
        landed();
        for (const item of batch) item.reject(err);
        this.flush();
      },
    );
  }
}

/** The bytes of a group entry around its items: {"op":"group","commands":[...]}. */
const GROUP_BYTES = encodeGroup([]).length;

/** An item's bytes in a group entry: its UTF-8 JSON and a comma. */
function itemBytes(json: string): number {
  return Buffer.byteLength(json) + 1;
}

/** Hands each writer its own result out of the entry's. */
function deliver(batch: readonly Item[], result: unknown): void {
  if (batch.length === 1) {
    const item = batch[0] as Item;
    if (isResult(result)) item.resolve(result);
    else item.reject(noResult());
    return;
  }
  if (isResult(result) && !result.ok) {
    // The entry as a whole was refused (undecodable): the same for everyone.
    for (const item of batch) item.resolve(result);
    return;
  }
  const group = result as GroupResult | undefined;
  if (group?.outcome !== 'group' || group.results.length !== batch.length) {
    for (const item of batch) item.reject(noResult());
    return;
  }
  batch.forEach((item, i) => item.resolve(group.results[i] as CommandResult));
}

function isResult(value: unknown): value is CommandResult {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

function noResult(): JobctlError {
  return new JobctlError(Reason.Internal, 'the state machine returned no result for a command');
}
