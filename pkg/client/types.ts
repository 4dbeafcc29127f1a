// The API's client interfaces, one per service: ResourceClient (objects),
// ClusterAdminClient (the nodes: Raft view, leadership) and LogsClient (a
// Run's output). The CLI and the dashboard reach all three over gRPC
// (GrpcClient implements them together, JobctlClient); on a node each has an
// in-process implementation, and the API server serves every one of them
// through the same stack of layers (pkg/api/stack.ts). Errors are JobctlError
// with a reason (NotFound, Conflict, Invalid, Unavailable, Gone, ...),
// whichever implementation throws them.
import type { Outcome, Resource, ResourceInput, ResourceOf, WatchEvent } from '../store/index.js';

export type Consistency = 'linearizable' | 'stale';

export interface GetOptions {
  /** Default linearizable (ReadIndex on the leader); stale reads the serving node's copy. */
  readonly consistency?: Consistency;
}

export interface ListOptions extends GetOptions {
  /** Omitted or '' for all namespaces (cluster-scoped kinds ignore it). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
}

export interface ListResult<T extends Resource = Resource> {
  readonly items: readonly T[];
  /** The revision the list reflects; watch from it to see every later change. */
  readonly resourceVersion: string;
  readonly continue?: string;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Deliver every change after this revision. Omitted: the current objects
   * first (as ADDED), then changes. Too old: the iterator throws reason Gone.
   */
  readonly resourceVersion?: string;
  /** Ends the watch (the iterator returns). */
  readonly signal?: AbortSignal;
}

export interface ApplyOptions {
  /** 'server': validate and compute the outcome without writing. */
  readonly dryRun?: 'server';
  /** Delete and recreate when immutable fields change. */
  readonly force?: boolean;
}

export interface ApplyResult<T extends Resource = Resource> {
  readonly outcome: Outcome;
  readonly object: T;
}

export interface DeleteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: 'server';
}

export interface NodeRaftStatus {
  readonly id: number;
  readonly address: string;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly leader: number;
  readonly lastIndex: number;
  /** 'healthy' when the node answered, 'unreachable' otherwise. */
  readonly health: string;
  readonly error?: string;
  /** 'voter' or 'learner' in the answering node's configuration (ClusterStatus). */
  readonly membership?: string;
  /** Entries still to apply compared with the leader's commit index (ClusterStatus). */
  readonly lag?: number;
}

/** One member of the Raft configuration. */
export interface ClusterMember {
  readonly id: number;
  /** HOST:PORT its peers dial. */
  readonly address: string;
  readonly learner: boolean;
}

/** The configuration after a membership change, and the cluster's id. */
export interface MembershipResult {
  readonly members: readonly ClusterMember[];
  readonly clusterId: string;
}

export interface AddMemberOptions {
  /**
   * The node itself asks (`jobd --join`): it is not running yet, so the
   * check that someone answers at the address is skipped.
   */
  readonly joining?: boolean;
}

/** What a leadership transfer did. */
export interface TransferResult {
  readonly from: number;
  readonly to: number;
  readonly term: number;
}

export interface ClusterStatus {
  readonly nodes: readonly NodeRaftStatus[];
  readonly leader: number;
  /** The node that answered the request. */
  readonly responder: number;
}

/** Which Run's output `logs` streams, and how. */
export interface LogsOptions {
  readonly namespace?: string;
  /** The Run by name (with runUid: that exact Run). */
  readonly run?: string;
  /** The Job whose latest Run (highest attempt) is meant, when no run is named. */
  readonly job?: string;
  readonly runUid?: string;
  /** Only the last N lines of what is kept (then, with follow, everything new). */
  readonly tail?: number;
  /** Keep streaming until the Run has ended. */
  readonly follow?: boolean;
  /** Ends the stream (the iterator returns). */
  readonly signal?: AbortSignal;
  /**
   * Node to node only: serve the Run (named with runUid) from the answering
   * node's own files and never proxy again. Nodes and cluster admins only.
   */
  readonly localOnly?: boolean;
  /**
   * Start at this byte offset of the Run's whole output (wins over tail): a
   * client resuming a stream after its serving node went away.
   */
  readonly fromOffset?: number;
  /** With localOnly: serve the copy the node keeps of another node's Run (NotFound if none). */
  readonly fromCopy?: boolean;
  /** Told what the stream is, before its first byte (and again if its source changes). */
  readonly onInfo?: (info: LogStreamInfo) => void;
}

/** What a logs stream says about the bytes that follow it. */
export interface LogStreamInfo {
  /** Byte offset, in the Run's whole output, of the next byte; undefined when the source cannot tell. */
  readonly offset?: number;
  /** The Run served. */
  readonly run?: string;
  readonly runUid?: string;
  /** Set when the bytes are the copy kept on another node, because the executing node did not answer. */
  readonly copy?: LogCopySource;
  /** Bytes of output that could not be served between what was already delivered and `offset` (a resumed stream). */
  readonly skipped?: number;
}

export interface LogCopySource {
  /** The node that keeps the copy. */
  readonly node: string;
  /** The node that executed the Run and did not answer. */
  readonly unreachableNode: string;
  /** When the copy was taken (ISO), just after the Run finished. */
  readonly savedAt: string;
}

/**
 * The tail of a finished Run's output, which the node that executed it hands
 * to other nodes so that `logs` outlives it (node to node only).
 */
export interface RunLogCopy {
  readonly namespace: string;
  readonly run: string;
  readonly runUid: string;
  /** The node that executed the Run. */
  readonly node: string;
  /** When the copy was taken (ISO). */
  readonly savedAt: string;
  /** Byte offset of data's first byte in the Run's whole output; undefined when unknown. */
  readonly offset?: number;
  /** Output before `data` was left out (the copy is bounded). */
  readonly cut: boolean;
  readonly data: Uint8Array;
}

/**
 * Methods are keyed by kind: `get('Job', ...)` resolves to a Job, `create(job)`
 * to a Job (the kind of the object given). A kind string outside KindMap, such
 * as the kubectl spellings 'job' and 'jobs' or a `string` a user typed, gives a
 * plain Resource (see ResourceOf in pkg/store/types.ts).
 */
export interface ResourceClient {
  /** Server-side create-or-update with validation and defaults; says created/configured/unchanged. */
  apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>>;
  create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>>;
  /** Replaces spec/labels/annotations; metadata.resourceVersion, when set, must be current. */
  update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>>;
  /** Replaces status only. */
  updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>>;
  /** Throws reason NotFound when absent. `kind` accepts kubectl spellings (job, jobs, Job). */
  get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<ResourceOf<K>>;
  list<K extends string>(kind: K, opts?: ListOptions): Promise<ListResult<ResourceOf<K>>>;
  watch<K extends string>(kind: K, opts?: WatchOptions): AsyncIterable<WatchEvent<ResourceOf<K>>>;
  /** Deletes (cascading to owned objects) and returns the object's final state. */
  delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>>;
  close(): void;
}

/**
 * Cluster administration: the members' Raft view and leadership (membership
 * and snapshots belong here too). A service of its own, not part of
 * ResourceClient: it is about the nodes, not the objects they store.
 */
export interface ClusterAdminClient {
  /** The answering node's own Raft view. */
  nodeStatus(): Promise<NodeRaftStatus>;
  /** Every member's view (unreachable ones marked) and the leader. */
  clusterStatus(): Promise<ClusterStatus>;
  /** Hands leadership to `to` (0 or omitted: the most caught-up follower). */
  transferLeader(to?: number): Promise<TransferResult>;
  /**
   * A consistent snapshot of the whole cluster, taken on the leader, as the
   * bytes of a backup file (./snapshot-file.ts), in order.
   */
  snapshot(): AsyncIterable<Uint8Array>;
  /** Adds a non-voting learner (one change at a time; refusals are Conflict or Invalid). */
  addMember(id: number, address: string, opts?: AddMemberOptions): Promise<MembershipResult>;
  /** Makes a caught-up learner a voter. */
  promoteMember(id: number): Promise<MembershipResult>;
  /** Removes a member; the leader hands leadership away first when it is the one removed. */
  removeMember(id: number): Promise<MembershipResult>;
}

/** A Run's output: a service of its own (raw bytes, streamed from the executing node). */
export interface LogsClient {
  /**
   * The Run's output as raw chunks, from whichever node executed it. NotFound
   * when the Run (or any Run of the Job) does not exist.
   */
  logs(opts: LogsOptions): AsyncIterable<Uint8Array>;
  /** Node to node: keep this copy of a finished Run's output. Nodes and cluster admins only. */
  saveCopy(copy: RunLogCopy): Promise<void>;
}

/** Every service of the API, as one caller reaches them. */
export interface ApiServices {
  readonly resources: ResourceClient;
  readonly cluster: ClusterAdminClient;
  readonly logs: LogsClient;
}

/** The whole API from outside a node (GrpcClient): what the CLI and tools hold. */
export interface JobctlClient extends ResourceClient, ClusterAdminClient, LogsClient {}
