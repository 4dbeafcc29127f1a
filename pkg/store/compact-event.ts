// Events kept compact in the store. With many Jobs run, Events are most of
// what a node holds (five per Job at 100,000 Jobs: ~58% of the store, about
// 725 B each parsed; docs/benchmarks.md, "Memory at 100,000 Jobs, session 8").
// Parsed, an Event is five objects (itself, metadata, spec, involvedObject,
// source) and a string per value; most of those values are the same from one
// Event to the next (apiVersion, namespace, type, reason, source, the
// involved object's kind) or held elsewhere already (its name is in the
// table's key, the involved object's name and uid in that object).
//
// A CompactEvent keeps what differs, one field each, and an EventShape shared
// by every Event with the same constant parts; the involved object's name and
// uid are the involved object's own strings when it is stored. An Event that
// does not have the usual shape (labels, annotations, owners, a field more or
// less) is kept as it is. Reading one builds the object again, key for key
// and byte for byte what was stored (the unit tests check it): no JSON is
// parsed, so a read costs about what building a small object costs.
//
// This is safe because no informer caches Events (the event GC reads them in
// pages, `get events -w` and `wait` watch them): the packing of session 4,
// which also packed Jobs and Runs, was reverted because informer resyncs
// unpacked every cold object again and again.
import type { Event, ObjectMeta, Resource } from './types.js';

/** What Events of one shape have in common. Built once per shape, then shared. */
interface EventShape {
  readonly apiVersion: string;
  readonly namespace: string;
  readonly generation: number;
  /** The stored Event's own empty labels/annotations ({}), owners ([]) and status ({}). */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly never[];
  readonly status: Readonly<Record<string, never>>;
  readonly type: string;
  readonly reason: string;
  /** Frozen, shared by every Event of the shape. */
  readonly source: Readonly<{ component: string; node?: string }>;
  readonly involvedKind: string;
  readonly involvedNamespace: string;
}

/** Shapes remembered; when full the table starts afresh (compact Events keep theirs). */
const SHAPE_TABLE_SIZE = 4096;
/** Shapes by reason: a handful each, told apart field by field (no key string built). */
let shapes = new Map<string, EventShape[]>();
let shapeCount = 0;
const SHAPES_PER_REASON = 16;

/** A stored Event in compact form: see the header. Immutable. */
export class CompactEvent {
  constructor(
    private readonly shape: EventShape,
    /** The table's key, `namespace/name`: the name is its tail. */
    readonly key: string,
    readonly uid: string,
    /** A decimal resourceVersion as a number (no string to keep), another as it was. */
    private readonly version: number | string,
    private readonly creationTimestamp: string,
    private readonly count: number,
    private readonly firstTimestamp: string,
    private readonly lastTimestamp: string,
    private readonly message: string,
    private readonly involvedName: string,
    private readonly involvedUid: string,
  ) {}

  /** On the prototype, not in every instance. */
  get kind(): 'Event' {
    return 'Event';
  }

  /** The stored Event, frozen, equal key for key to the one compacted. */
  event(): Event {
    const s = this.shape;
    const metadata: ObjectMeta = Object.freeze({
      annotations: s.annotations as Record<string, string>,
      creationTimestamp: this.creationTimestamp,
      generation: s.generation,
      labels: s.labels as Record<string, string>,
      name: this.key.slice(s.namespace.length + 1),
      namespace: s.namespace,
      ownerReferences: s.ownerReferences as never[],
      resourceVersion: typeof this.version === 'number' ? String(this.version) : this.version,
      uid: this.uid,
    });
    const involvedObject = Object.freeze({
      kind: s.involvedKind,
      name: this.involvedName,
      namespace: s.involvedNamespace,
      uid: this.involvedUid,
    });
    const spec = Object.freeze({
      count: this.count,
      firstTimestamp: this.firstTimestamp,
      involvedObject,
      lastTimestamp: this.lastTimestamp,
      message: this.message,
      reason: s.reason,
      source: s.source as Event['spec']['source'],
      type: s.type as Event['spec']['type'],
    });
    return Object.freeze({
      apiVersion: s.apiVersion,
      kind: 'Event' as const,
      metadata,
      spec,
      status: s.status as Record<string, never>,
    });
  }

  /** JSON.stringify writes the Event itself (a snapshot captures compact Events as they are). */
  toJSON(): Event {
    return this.event();
  }
}

/** Whether `value`'s own keys are `keys`, in that order (no array of them built). */
function keysAre(value: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in value) {
    if (k !== keys[i++]) return false;
  }
  return i === keys.length && Object.getPrototypeOf(value) === Object.prototype;
}

/** Whether every own member of `value` is a string. */
function allStrings(value: object): boolean {
  for (const k in value)
    if (typeof (value as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

const isEmptyMap = (value: unknown): value is Record<string, never> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length === 0;

const isString = (value: unknown): value is string => typeof value === 'string';

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META_KEYS = [
  'annotations',
  'creationTimestamp',
  'generation',
  'labels',
  'name',
  'namespace',
  'ownerReferences',
  'resourceVersion',
  'uid',
];
const SPEC_KEYS = [
  'count',
  'firstTimestamp',
  'involvedObject',
  'lastTimestamp',
  'message',
  'reason',
  'source',
  'type',
];
const INVOLVED_KEYS = ['kind', 'name', 'namespace', 'uid'];
const SOURCE_KEYS = ['component'];
const SOURCE_NODE_KEYS = ['component', 'node'];

/** A decimal without leading zeros that a number gives back exactly. */
function versionOf(rv: string): number | string {
  const n = Number(rv);
  return Number.isSafeInteger(n) && n > 0 && String(n) === rv ? n : rv;
}

function sameShape(shape: EventShape, e: Resource, spec: Record<string, unknown>): boolean {
  const m = e.metadata;
  const io = spec.involvedObject as Record<string, string>;
  const source = spec.source as { component: string; node?: string };
  return (
    shape.apiVersion === e.apiVersion &&
    shape.namespace === m.namespace &&
    shape.generation === m.generation &&
    shape.type === spec.type &&
    shape.source.component === source.component &&
    shape.source.node === source.node &&
    shape.involvedKind === io.kind &&
    shape.involvedNamespace === io.namespace
  );
}

function shapeOf(e: Resource, spec: Record<string, unknown>): EventShape {
  const reason = spec.reason as string;
  let same = shapes.get(reason);
  if (same !== undefined) {
    for (let i = 0; i < same.length; i++) {
      const shape = same[i] as EventShape;
      if (sameShape(shape, e, spec)) return shape;
    }
  }
  const m = e.metadata;
  const io = spec.involvedObject as Record<string, string>;
  const source = spec.source as { component: string; node?: string };
  const shape: EventShape = {
    apiVersion: e.apiVersion,
    namespace: m.namespace,
    generation: m.generation,
    labels: m.labels,
    annotations: m.annotations,
    ownerReferences: m.ownerReferences as never[],
    status: e.status as Record<string, never>,
    type: spec.type as string,
    reason,
    source: Object.isFrozen(source) ? source : Object.freeze({ ...source }),
    involvedKind: io.kind as string,
    involvedNamespace: io.namespace as string,
  };
  if (shapeCount >= SHAPE_TABLE_SIZE) {
    shapes = new Map();
    shapeCount = 0;
    same = undefined;
  }
  if (same === undefined) {
    same = [];
    shapes.set(reason, same);
  }
  // A short list per reason: the newest shapes (a search stays a few compares).
  if (same.length >= SHAPES_PER_REASON) same.shift();
  same.push(shape);
  shapeCount++;
  return shape;
}

/** Whether a stored Event has exactly the usual shape (see the header). */
function usual(e: Resource): boolean {
  if (!keysAre(e, TOP_KEYS) || !isEmptyMap(e.status)) return false;
  const m = e.metadata;
  if (
    !keysAre(m, META_KEYS) ||
    !isEmptyMap(m.labels) ||
    !isEmptyMap(m.annotations) ||
    !Array.isArray(m.ownerReferences) ||
    m.ownerReferences.length !== 0 ||
    typeof m.generation !== 'number' ||
    !isString(m.creationTimestamp) ||
    !isString(m.resourceVersion) ||
    !isString(m.uid)
  ) {
    return false;
  }
  const spec = e.spec;
  if (typeof spec !== 'object' || spec === null || !keysAre(spec, SPEC_KEYS)) return false;
  const io = spec.involvedObject;
  const source = spec.source;
  return (
    typeof spec.count === 'number' &&
    isString(spec.firstTimestamp) &&
    isString(spec.lastTimestamp) &&
    isString(spec.message) &&
    isString(spec.reason) &&
    isString(spec.type) &&
    typeof io === 'object' &&
    io !== null &&
    keysAre(io, INVOLVED_KEYS) &&
    allStrings(io) &&
    typeof source === 'object' &&
    source !== null &&
    (keysAre(source, SOURCE_KEYS) || keysAre(source, SOURCE_NODE_KEYS)) &&
    allStrings(source)
  );
}

/**
 * The compact form of a stored Event filed under `key` (`namespace/name`),
 * or undefined when it does not have the usual shape. The object the Event
 * is about, when `stored` (the store's objects by uid) has it, lends its name
 * and uid strings instead of the Event keeping copies of them.
 */
export function compactEvent(
  e: Resource,
  key: string,
  stored: (uid: string) => Resource | undefined,
): CompactEvent | undefined {
  if (e.kind !== 'Event' || !usual(e)) return undefined;
  const m = e.metadata;
  const ns = m.namespace;
  if (
    key.length !== ns.length + 1 + m.name.length ||
    !key.startsWith(ns) ||
    key.charCodeAt(ns.length) !== 0x2f ||
    !key.endsWith(m.name)
  ) {
    return undefined;
  }
  const spec = e.spec;
  const io = spec.involvedObject as Record<string, string>;
  let involvedName = io.name as string;
  let involvedUid = io.uid as string;
  const involved = stored(involvedUid);
  if (involved !== undefined) {
    if (involved.metadata.name === involvedName) involvedName = involved.metadata.name;
    if (involved.metadata.uid === involvedUid) involvedUid = involved.metadata.uid;
  }
  return new CompactEvent(
    shapeOf(e, spec),
    key,
    m.uid,
    versionOf(m.resourceVersion),
    m.creationTimestamp,
    spec.count as number,
    spec.firstTimestamp as string,
    spec.lastTimestamp as string,
    spec.message as string,
    involvedName,
    involvedUid,
  );
}
