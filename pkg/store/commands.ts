// The commands the API layer proposes through Raft, and their results. A
// command carries every nondeterministic choice (timestamps, uids, generated
// name suffixes) made once by the proposer, so that every replica applying the
// same entry reaches the same state and the same result.
import { JobctlError, Reason } from '../util/errors.js';
import type { Resource, ResourceInput } from './types.js';

/** Creates an object; AlreadyExists if the name is taken. */
export interface CreateCommand {
  readonly op: 'create';
  /** ISO timestamp: becomes metadata.creationTimestamp. */
  readonly now: string;
  /** The new object's metadata.uid. */
  readonly uid: string;
  /** Appended to metadata.generateName when metadata.name is empty (e.g. 5 random chars). */
  readonly nameSuffix?: string;
  /** May carry an initial status (e.g. phase Pending, filled in by the API server). */
  readonly object: ResourceInput;
}

/**
 * Replaces spec, labels, annotations and ownerReferences (PUT semantics);
 * status is untouched. metadata.resourceVersion / metadata.uid, when given, are
 * preconditions (Conflict when stale). Immutable spec fields are refused.
 */
export interface UpdateCommand {
  readonly op: 'update';
  readonly object: ResourceInput;
}

/** Precondition of a node agent's status report (checked by fence.ts). */
export interface StatusFence {
  /** The reporting node: must equal the object's spec.nodeName. */
  readonly nodeName: string;
}

/**
 * Replaces status only. metadata.resourceVersion / uid are optional preconditions.
 * `fence` (a node agent's report): refused with Conflict unless the object is
 * still bound to fence.nodeName and not in a final phase (see fence.ts).
 */
export interface UpdateStatusCommand {
  readonly op: 'updateStatus';
  readonly object: ResourceInput & { status: unknown };
  readonly fence?: StatusFence;
}

/**
 * Server-side apply: creates the object (outcome `created`), updates spec,
 * labels and annotations (`configured`), or does nothing (`unchanged`). Status is
 * left alone; ownerReferences are kept unless the manifest names some. A change
 * to an immutable spec field is Invalid unless `force`, which deletes the object
 * (cascading) and recreates it with `uid` (outcome `configured`).
 */
export interface ApplyCommand {
  readonly op: 'apply';
  readonly now: string;
  /** Used only if the object is created or recreated. */
  readonly uid: string;
  readonly force?: boolean;
  readonly object: ResourceInput;
}

export interface DeletePreconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** Deletes an object and, recursively, every object owned by it (by uid). */
export interface DeleteCommand {
  readonly op: 'delete';
  /** ISO timestamp: becomes metadata.deletionTimestamp of the final states. */
  readonly now: string;
  readonly kind: string;
  /** Ignored (may be omitted) for cluster-scoped kinds; defaults to 'default'. */
  readonly namespace?: string;
  readonly name: string;
  readonly preconditions?: DeletePreconditions;
}

/**
 * Several commands of one writer, applied in order. The entry is one unit
 * of visibility: readers and watchers see the state after the last item; every
 * change in it still gets its own store revision (its resourceVersion).
 *
 * By default items are independent: one failing does not undo or stop the
 * others (a node's status reports should not fail together because one Run was
 * deleted meanwhile), and the result lists each item's outcome. With `atomic`,
 * the first failure undoes the items before it and the whole command fails
 * with that item's reason (`batch item 2: jobs "x" not found`).
 */
export interface BatchCommand {
  readonly op: 'batch';
  readonly commands: readonly SingleCommand[];
  readonly atomic?: boolean;
}

export type SingleCommand =
  CreateCommand | UpdateCommand | UpdateStatusCommand | ApplyCommand | DeleteCommand;

/** One bind of a plan: Run namespace/name (the one with `uid`) goes to `node`. */
export interface PlanBind {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
}

/**
 * The scheduler's plan for one pass: every bind it decided, committed as one
 * command (Nomad's plan applier). The state machine re-checks each bind
 * against the state of the moment, in order, counting the binds of this plan
 * it already applied: the Run still exists with this uid, is unbound, Pending
 * and not cancelled; the node exists, is Ready (runtime not down), not
 * cordoned, matches the Run's nodeSelector, and has the cpu, memory and Run
 * slots left beside the non-final Runs bound to it (pkg/store/fit.ts, the
 * rules the scheduler planned with). A bind that passes sets spec.nodeName and
 * status.phase Scheduled (message cleared) in one change, one revision; one
 * that no longer fits changes nothing and is answered Conflict (or NotFound
 * for a Run gone), and its Run stays Pending for a later pass. The binds are
 * independent: the result is a batch result, `results[i]` answering `binds[i]`.
 * No resourceVersion precondition: what matters is whether the bind still
 * fits, not whether the Run was touched, so a plan computed from a view that
 * lags behind (pipelining) is as safe as any.
 */
export interface PlanCommand {
  readonly op: 'plan';
  readonly binds: readonly PlanBind[];
}

/** What one writer proposes: a single command, its own batch, or a scheduler plan. */
export type Command = SingleCommand | BatchCommand | PlanCommand;

/**
 * Group commit (pkg/api/command-batcher.ts): the commands of many independent
 * writers packed into one Raft entry. Never atomic and never nested: each item
 * is applied in order as if it were an entry of its own, and gets its own
 * result (`results[i]` answers `commands[i]`); a failing item changes nothing
 * for the others except what they read.
 */
export interface GroupCommand {
  readonly op: 'group';
  readonly commands: readonly Command[];
}

/** What a Raft entry of the store holds. */
export type EntryCommand = Command | GroupCommand;

// ---------------------------------------------------------------------------
// Results

export const Outcome = {
  Created: 'created',
  Configured: 'configured',
  Unchanged: 'unchanged',
  Deleted: 'deleted',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * A successful single command. `object` is the stored (frozen) state after the
 * write; for delete it is the final state with deletionTimestamp set, and
 * `deleted` lists every object removed by the cascade, dependents first.
 */
export interface ObjectResult {
  readonly ok: true;
  readonly outcome: Outcome;
  readonly object: Resource;
  readonly deleted?: readonly Resource[];
}

export interface BatchResult {
  readonly ok: true;
  readonly outcome: 'batch';
  readonly results: readonly (ObjectResult | ErrorResult)[];
}

/** One result per item of a GroupCommand, in order. (A PlanCommand answers with a BatchResult.) */
export interface GroupResult {
  readonly ok: true;
  readonly outcome: 'group';
  readonly results: readonly CommandResult[];
}

/** A business failure: every replica reaches the same one. */
export interface ErrorResult {
  readonly ok: false;
  readonly reason: Reason;
  readonly message: string;
}

export type CommandResult = ObjectResult | BatchResult | ErrorResult;

/** The error a proposer can throw for a failed result (each edge maps the reason). */
export function resultError(result: ErrorResult): JobctlError {
  return new JobctlError(result.reason, result.message);
}

// ---------------------------------------------------------------------------
// Encoding: JSON in UTF-8, the bytes of a Raft entry.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeCommand(command: EntryCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/** The entry bytes of a command already serialized with JSON.stringify. */
export function encodeCommandJson(json: string): Uint8Array {
  return encoder.encode(json);
}

/**
 * The entry bytes of a GroupCommand from its items already serialized with
 * JSON.stringify (the batcher serializes each write once, when it arrives, to
 * know the entry's size before packing it).
 */
export function encodeGroup(items: readonly string[]): Uint8Array {
  return encoder.encode(`{"op":"group","commands":[${items.join(',')}]}`);
}

/**
 * Decodes entry data. Garbage is not a throw: it becomes an Invalid result on
 * every replica alike, so a bad proposal cannot take the cluster down.
 */
export function decodeCommand(data: Uint8Array): EntryCommand | ErrorResult {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (err) {
    return { ok: false, reason: Reason.Invalid, message: `undecodable command: ${String(err)}` };
  }
  const op =
    typeof value === 'object' && value !== null ? (value as { op?: unknown }).op : undefined;
  if (
    !['create', 'update', 'updateStatus', 'apply', 'delete', 'batch', 'plan', 'group'].includes(
      op as string,
    )
  ) {
    return { ok: false, reason: Reason.Invalid, message: `unknown command op: ${String(op)}` };
  }
  return value as EntryCommand;
}

export function isErrorResult(value: unknown): value is ErrorResult {
  return typeof value === 'object' && value !== null && (value as ErrorResult).ok === false;
}

/**
 * How writers reach the store: the API layer proposes a command through Raft
 * and resolves with the result the store returned on the proposing node.
 */
export interface Proposer {
  propose(command: Command): Promise<CommandResult>;
}
