// ResourceStore: the replicated state machine for typed resources. Raft's shell
// feeds it committed entries (apply), takes snapshots of it and restores it;
// the API layer reads it (get, list, watch). It is synchronous and
// deterministic: everything time- or randomness-dependent arrives inside the
// commands, and the only output besides results is watch events, delivered
// synchronously at the end of each entry.
//
// Revisions: every change (an object created, modified or deleted) gets the
// next store revision, which becomes its metadata.resourceVersion, as etcd's
// MVCC revision. It is kept apart from the Raft index because one entry can
// hold many changes (a group of writers' commands, a batch, a cascading
// delete); it is a function of the entries applied, so every replica assigns
// the same revision to the same change (docs/decisions.md).
import type { StateMachine } from '../raft/index.js';
import { JobctlError, Reason } from '../util/errors.js';
import { adoptingInput, freezeCanonical, freezeShared, jsonEqual, type Json } from './canonical.js';
import {
  decodeCommand,
  Outcome,
  type ApplyCommand,
  type BatchCommand,
  type BatchResult,
  type Command,
  type CommandResult,
  type CreateCommand,
  type DeleteCommand,
  type EntryCommand,
  type ErrorResult,
  type GroupCommand,
  type GroupResult,
  type ObjectResult,
  type PlanBind,
  type PlanCommand,
  type SingleCommand,
  type UpdateCommand,
  type UpdateStatusCommand,
} from './commands.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { checkFence } from './fence.js';
import { nodeState, unfitReasons } from './fit.js';
import { checkInput, checkProposerFields, effectiveNamespace, type Target } from './input.js';
import {
  COMMON_FIELD_SELECTORS,
  defaultKinds,
  ofKind,
  type KindInfo,
  type KindRegistry,
} from './kinds.js';
import {
  alreadyExists,
  failure,
  immutable,
  notFound,
  staleVersion,
  uidMismatch,
} from './messages.js';
import {
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelSelector,
} from './selector.js';
import { decodeSnapshot, encodeSnapshot, snapshotPieces } from './snapshot.js';
import { fullKey, ObjectIndex, splitFullKey, type FullKey } from './object-index.js';
import { buildObject, canonList, canonMap, rebuild, sharedMap } from './objects.js';
import { objectKey, type KindTable, type StoredObject } from './table.js';
import { runRequests } from './requests.js';
import { isFinalRunPhase, type Resource, type ResourceInput, type ResourceOf } from './types.js';
import {
  WatchEventType,
  WatchHub,
  type Change,
  type WatchFilter,
  type WatchHandle,
  type WatchListener,
} from './watch.js';

export const DEFAULT_HISTORY_SIZE = 10_000;

export interface ResourceStoreOptions {
  /** Kinds served (default: Job, Run, Node, CronJob). */
  readonly kinds?: KindRegistry;
  /** Changes kept for watches that resume from a revision (default 10,000). */
  readonly historySize?: number;
}

export interface ListOptions {
  /** Namespace to list; undefined or '' lists all (ignored for cluster-scoped kinds). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** metadata.name, metadata.namespace and the kind's extra paths (see kinds.ts). */
  readonly fieldSelector?: string;
  /** Page size; 0 or undefined means everything. */
  readonly limit?: number;
  /** Token from the previous page (see continue-token.ts). */
  readonly continue?: string;
}

export interface ListResult<T extends Resource = Resource> {
  /** Frozen objects in namespace/name order. */
  readonly items: readonly T[];
  /** The revision of the listing's first page: watch from it to stay current. */
  readonly resourceVersion: string;
  /** Present when more items may follow. */
  readonly continue?: string;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Deliver every change after this revision, then live changes; Gone if it is
   * older than the history window. When omitted, the current matching objects
   * are delivered first as ADDED (like `kubectl get -w`), then live changes.
   */
  readonly resourceVersion?: string;
  /** Called once if the watch stops on its own (listener threw, store restored). */
  readonly onError?: (err: unknown) => void;
}

export interface StoreStats {
  readonly revision: number;
  /** Watches from revisions below this get Gone. */
  readonly compactedRevision: number;
  readonly historySize: number;
  readonly watchers: number;
  /** Objects per kind, every registered kind present. */
  readonly objects: Readonly<Record<string, number>>;
}

/** The changes of the entry being applied. */
interface Txn {
  readonly changes: Change[];
  /** Compute results only: no table, index or history is touched. */
  readonly dryRun?: boolean;
  /** Inverse operations of the writes so far, for atomic batches. */
  readonly undo: (() => void)[];
}

export class ResourceStore implements StateMachine {
  readonly kinds: KindRegistry;
  private readonly index: ObjectIndex;
  private readonly hub: WatchHub;
  /** The store revision: of the last change applied (or restored). */
  private rev = 0;
  /** The Raft index of the last entry applied (or restored snapshot). */
  private applied = 0;

  constructor(options: ResourceStoreOptions = {}) {
    this.kinds = options.kinds ?? defaultKinds;
    this.index = new ObjectIndex(this.kinds.kinds().map((k) => k.kind));
    this.hub = new WatchHub(options.historySize ?? DEFAULT_HISTORY_SIZE);
  }

  /**
   * The store revision: that of the last change applied, which is the newest
   * resourceVersion any object has (not the Raft index: see the header).
   */
  get revision(): number {
    return this.rev;
  }

  /** The Raft index of the last applied entry (or restored snapshot). */
  get appliedIndex(): number {
    return this.applied;
  }

  // -------------------------------------------------------------------------
  // StateMachine

  /**
   * Applies one committed entry. Empty data (a leader's no-op) only advances
   * the applied index and returns undefined. Indexes must increase (gaps are fine:
   * the shell may keep configuration entries to itself); anything else is a
   * bug in the shell and throws.
   */
  apply(index: number, data: Uint8Array): CommandResult | GroupResult | undefined {
    if (data.length === 0) {
      this.advance(index);
      return undefined;
    }
    const command = decodeCommand(data);
    if (!('op' in command)) {
      this.advance(index);
      return command;
    }
    // Just decoded: nothing else holds the command's objects, so the store
    // may keep them instead of copying (canonical.ts, adoptingInput).
    return this.execute(index, command, true);
  }

  /** Typed entry point (what apply() does after decoding); used in-process and by tests. */
  applyCommand(index: number, command: Command): CommandResult;
  applyCommand(index: number, command: EntryCommand): CommandResult | GroupResult;
  applyCommand(index: number, command: EntryCommand): CommandResult | GroupResult {
    // The caller keeps its command: what is stored is a copy.
    return this.execute(index, command, false);
  }

  private execute(
    index: number,
    command: EntryCommand,
    owned: boolean,
  ): CommandResult | GroupResult {
    this.checkIndex(index);
    const txn: Txn = { changes: [], undo: [] };
    const run = (): CommandResult | GroupResult =>
      command.op === 'group' ? this.group(txn, command) : this.applyOne(txn, command);
    // Listeners (published below) never run in adopting mode.
    const result = owned ? adoptingInput(run) : run();
    this.applied = index;
    // After the whole entry, so that a listener reading the store (or
    // starting a watch) sees the whole entry applied.
    this.hub.publish(txn.changes);
    return result;
  }

  private applyOne(txn: Txn, command: Command): CommandResult {
    if (command.op === 'batch') return this.batch(txn, command);
    if (command.op === 'plan') return this.plan(txn, command);
    return this.applySingle(txn, command);
  }

  /** Each writer's command as if it were an entry of its own (see GroupCommand). */
  private group(txn: Txn, command: GroupCommand): GroupResult | ErrorResult {
    if (!Array.isArray(command.commands)) {
      return failure(Reason.Invalid, 'a group needs a list of commands');
    }
    const results: CommandResult[] = [];
    for (const item of command.commands as unknown[]) {
      const op = typeof item === 'object' && item !== null ? (item as { op?: unknown }).op : '';
      results.push(
        op === 'group'
          ? failure(Reason.Invalid, 'a group item must not be a group')
          : this.applyOne(txn, item as Command),
      );
      // Atomic batches undo their own items only; the next item starts afresh.
      txn.undo.length = 0;
    }
    return { ok: true, outcome: 'group', results };
  }

  /**
   * What a command would return if applied now, without changing anything (for
   * `apply --dry-run=server` and `diff`). Resulting objects carry the current
   * revision as resourceVersion; nothing is stored and no event is sent.
   */
  dryRun(command: SingleCommand): ObjectResult | ErrorResult {
    const txn: Txn = { changes: [], dryRun: true, undo: [] };
    if (typeof command !== 'object' || command === null || command.op === ('batch' as string)) {
      return failure(Reason.Invalid, 'dry run takes a single (non-batch) command');
    }
    return this.applySingle(txn, command);
  }

  /** Carries the store revision; the Raft index travels beside it (restore's `index`). */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.rev, this.captureObjects());
  }

  /**
   * The state at the current revision, to be serialized later in pieces (see
   * snapshotPieces): capturing costs one pointer per object, so a shell can
   * spread the encoding of a large store over several event-loop turns instead
   * of blocking heartbeats for the whole of snapshot(). Concatenated, the
   * pieces are byte for byte what snapshot() returns at this revision.
   */
  captureSnapshot(): {
    readonly revision: number;
    /** About `batch` objects per piece (default 1000). */
    pieces(batch?: number): Iterable<Uint8Array>;
  } {
    const revision = this.rev;
    const kinds = this.captureObjects();
    return { revision, pieces: (batch) => snapshotPieces(revision, kinds, batch) };
  }

  /**
   * A written spec, canonical, its small parts shared with other objects'
   * (objects.ts, sharedMap) but for Events: they are kept compact, which
   * shares their constant parts (compact-event.ts), and their other parts
   * (the involved object) rarely repeat.
   */
  private specOf(info: KindInfo, spec: unknown): Json {
    return info.kind === 'Event' ? canonMap(spec) : sharedMap(spec);
  }

  private captureObjects(): Record<string, StoredObject[]> {
    const kinds: Record<string, StoredObject[]> = {};
    for (const info of this.kinds.kinds()) {
      kinds[info.kind] = this.table(info).values();
    }
    return kinds;
  }

  /**
   * Replaces all state with a snapshot taken at Raft index `index`; the store
   * revision is the snapshot's own. History restarts there: older watches get
   * Gone, and current watchers are stopped (their onError gets Gone) since
   * the changes between their position and the snapshot are unknown.
   */
  restore(index: number, data: Uint8Array): void {
    const snap = decodeSnapshot(data);
    this.index.clear();
    for (const [kind, objects] of Object.entries(snap.kinds)) {
      const info = this.kinds.get(kind);
      if (!info) throw new Error(`snapshot holds unknown kind ${kind}`);
      // Written by snapshot() with sorted keys already: freeze in place. The
      // objects are this store's own, so they are Resources (the cast says so).
      for (const raw of objects) {
        // The parts that repeat from object to object shared, as when
        // applied (but for Events: see specOf).
        const r = raw as { spec?: unknown; metadata?: { labels?: unknown } };
        if (info.kind !== 'Event') {
          if (r.spec !== undefined) r.spec = freezeShared(r.spec);
          if (r.metadata?.labels !== undefined) r.metadata.labels = freezeShared(r.metadata.labels);
        }
        this.index.insert(info.kind, freezeCanonical(raw) as unknown as Resource);
      }
    }
    this.applied = index;
    this.rev = snap.revision;
    this.hub.reset(
      snap.revision,
      new JobctlError(
        Reason.Gone,
        `store restored from a snapshot at revision ${snap.revision}; relist and watch again`,
      ),
    );
  }

  // -------------------------------------------------------------------------
  // Reads (throw JobctlError for bad arguments: Invalid, NotFound for a kind)

  /** The frozen object, or undefined. `kind` may be any alias ('jobs', 'job', 'Job'). */
  get<K extends string>(kind: K, namespace: string, name: string): ResourceOf<K> | undefined {
    const info = this.kindInfo(kind);
    const ns = effectiveNamespace(info, namespace);
    const object = this.table(info).get(objectKey(ns, name));
    return object && ofKind(kind, object);
  }

  /** Whether an object with this uid is stored (of any kind). */
  hasUid(uid: string): boolean {
    return this.index.byUid(uid) !== undefined;
  }

  /** A page of objects in namespace/name order. See ListOptions, continue-token.ts. */
  list<K extends string>(kind: K, opts: ListOptions = {}): ListResult<ResourceOf<K>> {
    const info = this.kindInfo(kind);
    const filter = this.filterOf(info, opts);
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new JobctlError(
        Reason.Invalid,
        `invalid limit ${limit}: must be a non-negative integer`,
      );
    }
    // A namespace is the key range [ns/, ns0): '0' is the character after '/'.
    const ns = filter.namespace;
    let from = ns !== undefined ? `${ns}/` : '';
    const to = ns !== undefined ? `${ns}0` : undefined;
    let rv = this.rev;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      rv = token.rv;
      // Strictly after the last key: keys hold no NUL, so key+NUL bounds it.
      const after = `${token.key}\u0000`;
      if (after > from) from = after;
    }
    const items: ResourceOf<K>[] = [];
    const wanted = (o: Resource): boolean =>
      (!filter.labels || filter.labels.matches(o.metadata.labels)) &&
      (!filter.fields || filter.fields.matches(o));
    // One match beyond the page tells whether to hand out a token, so the
    // last page never comes with a token leading to an empty page.
    let more = false;
    this.table(info).scan(from, to, (o) => {
      if (!wanted(o)) return true;
      if (limit !== 0 && items.length === limit) {
        more = true;
        return false;
      }
      items.push(ofKind(kind, o));
      return true;
    });
    const last = items[items.length - 1];
    const result: ListResult<ResourceOf<K>> = { items, resourceVersion: String(rv) };
    if (more && last) {
      return {
        ...result,
        continue: encodeContinue({
          rv,
          key: objectKey(last.metadata.namespace, last.metadata.name),
        }),
      };
    }
    return result;
  }

  /**
   * Watches one kind. Replay (history or current state) happens synchronously
   * before this returns; live events are delivered synchronously at the end of
   * each applied entry. Throws Gone (too old), Invalid (bad selector or version).
   */
  watch(kind: string, opts: WatchOptions, listener: WatchListener): WatchHandle {
    const info = this.kindInfo(kind);
    const filter = this.filterOf(info, opts);
    const base = { filter, listener, onError: opts.onError };
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== '') {
      const rv = opts.resourceVersion;
      if (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv))) {
        throw new JobctlError(
          Reason.Invalid,
          `invalid resourceVersion ${JSON.stringify(rv)}: must be a revision number`,
        );
      }
      return this.hub.subscribe(info.kind, { ...base, fromRevision: Number(rv) });
    }
    const initial = this.list(info.kind, {
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    }).items;
    return this.hub.subscribe(info.kind, { ...base, initial });
  }

  /** Objects per kind (every registered kind present), for metrics. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const info of this.kinds.kinds()) out[info.kind] = this.table(info).size;
    return out;
  }

  stats(): StoreStats {
    return {
      revision: this.rev,
      compactedRevision: this.hub.compactedRevision,
      historySize: this.hub.historySize,
      watchers: this.hub.watcherCount,
      objects: this.counts(),
    };
  }

  /** The registered kind for any alias; NotFound (as kubectl words it) otherwise. */
  kindInfo(kind: string): KindInfo {
    const info = this.kinds.get(kind) ?? this.kinds.resolve(kind);
    if (!info) {
      throw new JobctlError(
        Reason.NotFound,
        `the server doesn't have a resource type ${JSON.stringify(kind)}`,
      );
    }
    return info;
  }

  // -------------------------------------------------------------------------
  // Commands

  private batch(txn: Txn, command: BatchCommand): BatchResult | ErrorResult {
    const items: unknown[] = Array.isArray(command.commands) ? command.commands : [];
    const results: (ObjectResult | ErrorResult)[] = [];
    // Marks, so that an atomic batch inside a group undoes only its own items.
    const undoFrom = txn.undo.length;
    const changesFrom = txn.changes.length;
    const revFrom = this.rev;
    for (const [i, item] of items.entries()) {
      const result =
        typeof item === 'object' && item !== null && (item as { op?: unknown }).op !== 'batch'
          ? this.applySingle(txn, item as SingleCommand)
          : failure(Reason.Invalid, 'a batch item must be a single (non-batch) command');
      if (!result.ok && command.atomic) {
        // Undo in reverse order; the changes never reach the history, and
        // their revisions are handed out again.
        for (const undo of txn.undo.splice(undoFrom).reverse()) undo();
        txn.changes.length = changesFrom;
        this.rev = revFrom;
        return { ...result, message: `batch item ${i + 1}: ${result.message}` };
      }
      results.push(result);
    }
    return { ok: true, outcome: 'batch', results };
  }

  /** A scheduler plan: every bind re-checked and applied on its own (see PlanCommand). */
  private plan(txn: Txn, command: PlanCommand): BatchResult | ErrorResult {
    if (!Array.isArray(command.binds))
      return failure(Reason.Invalid, 'a plan needs a list of binds');
    const runs = this.kinds.get('Run');
    const nodes = this.kinds.get('Node');
    if (!runs || !nodes) return failure(Reason.Invalid, 'this store does not serve Runs and Nodes');
    const results = (command.binds as unknown[]).map((b) => this.planBind(txn, runs, nodes, b));
    return { ok: true, outcome: 'batch', results };
  }

  /** One bind of a plan, if it still fits the state it meets. */
  private planBind(
    txn: Txn,
    runs: KindInfo,
    nodes: KindInfo,
    raw: unknown,
  ): ObjectResult | ErrorResult {
    const b = raw as Partial<PlanBind> | null;
    if (
      typeof b?.namespace !== 'string' ||
      typeof b.name !== 'string' ||
      typeof b.uid !== 'string' ||
      typeof b.node !== 'string' ||
      b.node === ''
    ) {
      return failure(Reason.Invalid, 'a bind needs namespace, name, uid and node (strings)');
    }
    const old = this.table(runs).get(objectKey(effectiveNamespace(runs, b.namespace), b.name));
    if (!old) return notFound(runs, b.name);
    if (old.metadata.uid !== b.uid) return uidMismatch(b.uid, old.metadata.uid);
    const run = ofKind('Run', old);
    const refuse = (why: string): ErrorResult =>
      failure(
        Reason.Conflict,
        `bind of ${runs.plural} ${JSON.stringify(b.name)} to node ${JSON.stringify(b.node)} refused: ${why}`,
      );
    if (run.spec.nodeName)
      return refuse(`already bound to node ${JSON.stringify(run.spec.nodeName)}`);
    if (run.spec.cancelled) return refuse('cancelled');
    const phase = run.status.phase ?? 'Pending';
    if (phase !== 'Pending') return refuse(`phase is ${phase}`);
    const node = this.table(nodes).get(objectKey(effectiveNamespace(nodes, ''), b.node));
    if (!node) return refuse('no such node');
    const state = nodeState(ofKind('Node', node), this.index.nodeUsage.of(b.node));
    const why = unfitReasons(state, run, runRequests(run));
    if (why.length > 0) return refuse(`no longer fits: ${why.join(', ')}`);
    const full = run.spec.queue ? this.queueRefusal(run.spec.queue, run.metadata.namespace) : '';
    if (full) return refuse(full);
    const { message: _message, ...status } = run.status;
    return this.modify(txn, runs, old, {
      spec: sharedMap({ ...run.spec, nodeName: b.node }),
      status: canonMap({ ...status, phase: 'Scheduled' }),
    });
  }

  /**
   * Why one more Run of `queue` from `namespace` may not start now ('' if it
   * may): the Queue is gone, or its limits are reached. Stores that do not
   * serve Queues hold nothing back.
   */
  private queueRefusal(queue: string, namespace: string): string {
    const queues = this.kinds.get('Queue');
    if (!queues) return '';
    const q = this.table(queues).get(objectKey(effectiveNamespace(queues, ''), queue));
    if (!q) return `queue ${JSON.stringify(queue)} not found`;
    const spec = ofKind('Queue', q).spec;
    const running = this.index.queueUsage.running(queue);
    if (running >= spec.maxRunning) {
      return `queue ${queue} is full (${running}/${spec.maxRunning} running)`;
    }
    const perNs = spec.maxRunningPerNamespace;
    const inNs = this.index.queueUsage.runningIn(queue, namespace);
    if (perNs !== undefined && inNs >= perNs) {
      return `queue ${queue} allows ${perNs} running per namespace (${inNs} running in ${namespace})`;
    }
    return '';
  }

  private applySingle(txn: Txn, cmd: SingleCommand): ObjectResult | ErrorResult {
    switch (cmd.op) {
      case 'create':
        return this.create(txn, cmd);
      case 'update':
        return this.update(txn, cmd);
      case 'updateStatus':
        return this.updateStatus(txn, cmd);
      case 'apply':
        return this.applyObject(txn, cmd);
      case 'delete':
        return this.delete(txn, cmd);
      default:
        return failure(
          Reason.Invalid,
          `unknown command op: ${String((cmd as { op?: unknown }).op)}`,
        );
    }
  }

  private create(txn: Txn, cmd: CreateCommand): ObjectResult | ErrorResult {
    const bad = checkProposerFields({ now: cmd.now, uid: cmd.uid });
    if (bad) return bad;
    const checked = checkInput(this.kinds, cmd.object, {
      allowGenerateName: true,
      nameSuffix: cmd.nameSuffix,
    });
    if ('ok' in checked) return checked;
    const { target, input } = checked;
    if (this.lookup(target)) return alreadyExists(target.info, target.name);
    const object = this.newObject(txn, target, input, cmd.uid, cmd.now, canonMap(input.status));
    return { ok: true, outcome: Outcome.Created, object };
  }

  private update(txn: Txn, cmd: UpdateCommand): ObjectResult | ErrorResult {
    const checked = this.existingFor(cmd.object);
    if ('ok' in checked) return checked;
    const { target, input, old } = checked;
    const spec = this.specOf(target.info, input.spec);
    const changed = this.immutableChanges(target.info, old, spec);
    if (changed.length > 0) return immutable(target.info.kind, target.name, changed, false);
    const meta = input.metadata;
    return this.modify(txn, target.info, old, {
      spec,
      labels: sharedMap(meta.labels),
      annotations: canonMap(meta.annotations),
      ownerReferences: canonList(meta.ownerReferences),
    });
  }

  private updateStatus(txn: Txn, cmd: UpdateStatusCommand): ObjectResult | ErrorResult {
    const checked = this.existingFor(cmd.object);
    if ('ok' in checked) return checked;
    const { target, input, old } = checked;
    if (cmd.fence !== undefined) {
      const refused = checkFence(target.info, old, cmd.fence);
      if (refused) return refused;
    }
    return this.modify(txn, target.info, old, { status: canonMap(input.status) });
  }

  private applyObject(txn: Txn, cmd: ApplyCommand): ObjectResult | ErrorResult {
    const bad = checkProposerFields({ now: cmd.now, uid: cmd.uid });
    if (bad) return bad;
    const checked = checkInput(this.kinds, cmd.object, { allowGenerateName: false });
    if ('ok' in checked) return checked;
    const { target, input } = checked;
    const old = this.lookup(target);
    if (!old) {
      const object = this.newObject(txn, target, input, cmd.uid, cmd.now, canonMap(input.status));
      return { ok: true, outcome: Outcome.Created, object };
    }
    const pre = this.checkPreconditions(target, old, input.metadata);
    if (pre) return pre;
    const spec = this.specOf(target.info, input.spec);
    const changed = this.immutableChanges(target.info, old, spec);
    if (changed.length > 0) {
      if (!cmd.force) return immutable(target.info.kind, target.name, changed, true);
      // --force: delete (with dependents, as kubectl's replace --force) and
      // recreate under the new uid. Status starts afresh.
      this.deleteCascade(txn, target.info, old, cmd.now);
      const meta = input.metadata;
      const object = this.newObject(
        txn,
        target,
        {
          ...input,
          metadata: {
            ...meta,
            ownerReferences: meta.ownerReferences ?? old.metadata.ownerReferences,
          },
        },
        cmd.uid,
        cmd.now,
        canonMap(input.status),
      );
      return { ok: true, outcome: Outcome.Configured, object };
    }
    const meta = input.metadata;
    const result = this.modify(txn, target.info, old, {
      spec,
      labels: sharedMap(meta.labels),
      annotations: canonMap(meta.annotations),
      // Manifests rarely name owners; keep the ones controllers set.
      ownerReferences: meta.ownerReferences ? canonList(meta.ownerReferences) : undefined,
    });
    if (!result.ok) return result;
    return {
      ...result,
      outcome: result.outcome === Outcome.Unchanged ? Outcome.Unchanged : Outcome.Configured,
    };
  }

  private delete(txn: Txn, cmd: DeleteCommand): ObjectResult | ErrorResult {
    const bad = checkProposerFields({ now: cmd.now, kind: cmd.kind, name: cmd.name });
    if (bad) return bad;
    const info = this.kinds.get(cmd.kind) ?? this.kinds.resolve(cmd.kind);
    if (!info)
      return failure(
        Reason.NotFound,
        `the server doesn't have a resource type ${JSON.stringify(cmd.kind)}`,
      );
    const target: Target = {
      info,
      namespace: effectiveNamespace(info, cmd.namespace),
      name: cmd.name,
    };
    const old = this.lookup(target);
    if (!old) return notFound(info, cmd.name);
    const pre = cmd.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      return uidMismatch(pre.uid, old.metadata.uid);
    }
    if (
      pre?.resourceVersion !== undefined &&
      pre.resourceVersion !== old.metadata.resourceVersion
    ) {
      return staleVersion(info, cmd.name);
    }
    // Ordered deletion (DESIGN §3): an object whose ownership tree still holds
    // a Run not yet final is only marked (deletionTimestamp), and so is every
    // owner of such a Run in the tree (a CronJob's running Jobs). The job
    // controller stops a marked Job's Runs and deletes it again once none is
    // active; only then are it and its Runs removed, and with the last of them
    // a marked owner above it (finishOwners). `deleted` is empty: nothing is
    // gone yet.
    const holders = this.activeRunOwners(old);
    if (holders.length > 0) {
      let object = old;
      for (const holder of [old, ...holders.filter((h) => h !== old)]) {
        if (holder.metadata.deletionTimestamp !== undefined) continue;
        const kinfo = this.kinds.get(holder.kind) as KindInfo;
        const marked = this.modify(txn, kinfo, holder, { deletionTimestamp: cmd.now });
        if (holder === old) object = marked.object;
      }
      return { ok: true, outcome: Outcome.Deleted, object, deleted: [] };
    }
    const deleted = this.deleteCascade(txn, info, old, cmd.now);
    const object = deleted[deleted.length - 1] as Resource;
    return {
      ok: true,
      outcome: Outcome.Deleted,
      object,
      deleted: [...deleted, ...this.finishOwners(txn, old, cmd.now)],
    };
  }

  /**
   * The objects in `root`'s ownership tree (`root` included) that own a Run
   * not yet in a final phase.
   */
  private activeRunOwners(root: Resource): Resource[] {
    const out: Resource[] = [];
    const seen = new Set<string>();
    const visit = (obj: Resource): void => {
      if (seen.has(obj.metadata.uid)) return;
      seen.add(obj.metadata.uid);
      let ownsActive = false;
      for (const fk of this.index.dependentsOf(obj.metadata.uid)) {
        const dep = this.index.getFull(fk);
        if (!dep) continue;
        if (splitFullKey(fk)[0] !== 'Run') visit(dep);
        else if (!ownsActive) {
          const phase = dep.status.phase;
          ownsActive = !isFinalRunPhase(typeof phase === 'string' ? phase : undefined);
        }
      }
      if (ownsActive) out.push(obj);
    };
    visit(root);
    return out;
  }

  /**
   * After `gone` was removed: each owner above it that was marked for deletion
   * and whose tree now holds no active Run is removed too (with what it still
   * owns), in the same entry, and so on upwards.
   */
  private finishOwners(txn: Txn, gone: Resource, now: string): Resource[] {
    const deleted: Resource[] = [];
    for (const ref of gone.metadata.ownerReferences) {
      const fk = this.index.byUid(ref.uid);
      const owner = fk === undefined ? undefined : this.index.getFull(fk);
      if (!owner || owner.metadata.deletionTimestamp === undefined) continue;
      if (this.activeRunOwners(owner).length > 0) continue;
      const kinfo = this.kinds.get(owner.kind) as KindInfo;
      deleted.push(...this.deleteCascade(txn, kinfo, owner, now));
      deleted.push(...this.finishOwners(txn, owner, now));
    }
    return deleted;
  }

  // -------------------------------------------------------------------------
  // Helpers for commands

  /** Checks an update's input and finds the object it names, with its preconditions. */
  private existingFor(
    raw: unknown,
  ): { target: Target; input: ResourceInput; old: Resource } | ErrorResult {
    const checked = checkInput(this.kinds, raw, { allowGenerateName: false });
    if ('ok' in checked) return checked;
    const { target, input } = checked;
    const old = this.lookup(target);
    if (!old) return notFound(target.info, target.name);
    const pre = this.checkPreconditions(target, old, input.metadata);
    if (pre) return pre;
    return { target, input, old };
  }

  private checkPreconditions(
    target: Target,
    old: Resource,
    meta: ResourceInput['metadata'],
  ): ErrorResult | undefined {
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== old.metadata.uid) {
      return uidMismatch(meta.uid, old.metadata.uid);
    }
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== '' &&
      meta.resourceVersion !== old.metadata.resourceVersion
    ) {
      return staleVersion(target.info, target.name);
    }
    return undefined;
  }

  private immutableChanges(info: KindInfo, old: Resource, spec: Json): string[] {
    const oldSpec = old.spec as Record<string, unknown>;
    const newSpec = spec as Record<string, unknown>;
    return info.immutableSpecFields.filter((f) => !jsonEqual(oldSpec[f], newSpec[f]));
  }

  private newObject(
    txn: Txn,
    target: Target,
    input: ResourceInput,
    uid: string,
    now: string,
    status: Json,
  ): Resource {
    const meta = input.metadata;
    const object = buildObject(
      target.info,
      {
        name: target.name,
        namespace: target.namespace,
        uid,
        labels: sharedMap(meta.labels),
        annotations: canonMap(meta.annotations),
        ownerReferences: canonList(meta.ownerReferences),
        resourceVersion: String(this.nextRevision(txn)),
        generation: 1,
        creationTimestamp: now,
        generateName: meta.name ? undefined : meta.generateName,
      },
      this.specOf(target.info, input.spec),
      status,
    );
    if (txn.dryRun) return object;
    this.index.insert(target.info.kind, object);
    txn.undo.push(() => this.index.remove(target.info.kind, object));
    txn.changes.push({
      revision: this.rev,
      kind: target.info.kind,
      type: WatchEventType.Added,
      object,
    });
    return object;
  }

  /** Writes changed parts of an object, or reports `unchanged` without a write. */
  private modify(
    txn: Txn,
    info: KindInfo,
    old: Resource,
    parts: {
      spec?: Json;
      status?: Json;
      labels?: Json;
      annotations?: Json;
      ownerReferences?: Json;
      deletionTimestamp?: string;
    },
  ): ObjectResult {
    const m = old.metadata;
    const specChanged = parts.spec !== undefined && !jsonEqual(parts.spec, old.spec);
    const changed =
      specChanged ||
      (parts.deletionTimestamp !== undefined && parts.deletionTimestamp !== m.deletionTimestamp) ||
      (parts.status !== undefined && !jsonEqual(parts.status, old.status)) ||
      (parts.labels !== undefined && !jsonEqual(parts.labels, m.labels)) ||
      (parts.annotations !== undefined && !jsonEqual(parts.annotations, m.annotations)) ||
      (parts.ownerReferences !== undefined && !jsonEqual(parts.ownerReferences, m.ownerReferences));
    // A write that changes nothing is no write (as Kubernetes): no new
    // revision, no event, so steady-state reconcilers cost nothing.
    if (!changed) return { ok: true, outcome: Outcome.Unchanged, object: old };
    const object = rebuild(info, old, {
      ...parts,
      revision: this.nextRevision(txn),
      generation: specChanged ? m.generation + 1 : m.generation,
    });
    if (txn.dryRun) return { ok: true, outcome: Outcome.Configured, object };
    this.index.insert(info.kind, object, old);
    txn.undo.push(() => this.index.insert(info.kind, old, object));
    txn.changes.push({
      revision: this.rev,
      kind: info.kind,
      type: WatchEventType.Modified,
      object,
      prev: old,
    });
    return { ok: true, outcome: Outcome.Configured, object };
  }

  /**
   * Deletes `root` and, depth-first, every object it owns (dependents before
   * their owner, siblings in kind/key order, so every replica emits the same
   * sequence). A dependent that still has a live owner outside the deletion is
   * kept and only loses the reference to the deleted owner, as Kubernetes' GC
   * does. Returns the final states, root last.
   */
  private deleteCascade(txn: Txn, info: KindInfo, root: Resource, now: string): Resource[] {
    const doomed = new Set<FullKey>();
    const order: FullKey[] = [];
    const orphaned: FullKey[] = [];
    const visit = (fk: FullKey): void => {
      if (doomed.has(fk)) return;
      doomed.add(fk);
      const obj = this.index.getFull(fk);
      if (!obj) return;
      for (const dep of this.index.dependentsOf(obj.metadata.uid)) {
        const depObj = this.index.getFull(dep);
        if (!depObj) continue;
        const otherOwnerAlive = depObj.metadata.ownerReferences.some((r) => {
          const owner = this.index.byUid(r.uid);
          return r.uid !== obj.metadata.uid && owner !== undefined && !doomed.has(owner);
        });
        if (otherOwnerAlive) orphaned.push(dep);
        else visit(dep);
      }
      order.push(fk);
    };
    const rootKey = fullKey(info.kind, objectKey(root.metadata.namespace, root.metadata.name));
    visit(rootKey);

    const deleted: Resource[] = [];
    const deletedUids = new Set<string>();
    for (const fk of order) {
      const obj = this.index.getFull(fk);
      if (!obj) continue;
      const [kind] = splitFullKey(fk);
      const kinfo = this.kinds.get(kind) as KindInfo;
      const final = rebuild(kinfo, obj, {
        revision: this.nextRevision(txn),
        deletionTimestamp: now,
      });
      deleted.push(final);
      deletedUids.add(obj.metadata.uid);
      if (txn.dryRun) continue;
      this.index.remove(kind, obj);
      txn.undo.push(() => this.index.insert(kind, obj));
      txn.changes.push({ revision: this.rev, kind, type: WatchEventType.Deleted, object: final });
    }
    // Survivors drop their references to what is gone.
    for (const fk of [...new Set(orphaned)].sort()) {
      if (doomed.has(fk)) continue;
      const obj = this.index.getFull(fk);
      if (!obj) continue;
      const kinfo = this.kinds.get(splitFullKey(fk)[0]) as KindInfo;
      const refs = obj.metadata.ownerReferences.filter((r) => !deletedUids.has(r.uid));
      this.modify(txn, kinfo, obj, { ownerReferences: canonList(refs) });
    }
    return deleted;
  }

  private table(info: KindInfo): KindTable {
    return this.index.table(info.kind);
  }

  private lookup(target: Target): Resource | undefined {
    return this.table(target.info).get(objectKey(target.namespace, target.name));
  }

  private filterOf(
    info: KindInfo,
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string },
  ): WatchFilter & { labels?: LabelSelector; fields?: FieldSelector } {
    const namespace = info.namespaced && opts.namespace ? opts.namespace : undefined;
    const labels = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector
      ? parseFieldSelector(opts.fieldSelector, [...COMMON_FIELD_SELECTORS, ...info.fieldSelectors])
      : undefined;
    return { namespace, labels, fields };
  }

  /**
   * The revision of the change being made: the next one, or in a dry run the
   * current one (nothing is stored, nothing is handed out).
   */
  private nextRevision(txn: Txn): number {
    return txn.dryRun ? this.rev : ++this.rev;
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new Error(`store: apply at index ${index} after index ${this.applied}`);
    }
  }

  private advance(index: number): void {
    this.checkIndex(index);
    this.applied = index;
  }
}
