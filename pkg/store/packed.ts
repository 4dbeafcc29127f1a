// A compact form for stored objects that are rarely read: finished Runs,
// finished Jobs and Events, which are most of what a node holds once many
// Jobs have run (docs/benchmarks.md, "Cold objects kept packed"). Parsed, a
// finished Run is about 1.5 KB of heap: an object per level, a slot per
// property, a string per unique value. Most of that repeats from one Run to
// the next (the keys, the image, the resources, the sandbox, the phase); what
// does not is a few uids, names and timestamps.
//
// An object's JSON (what JSON.stringify gives; stored objects are canonical,
// so that is also its bytes in a snapshot) is cut into its skeleton (braces,
// keys, commas) and its leaves (strings, numbers, booleans, nulls). Objects
// with the same skeleton share one Skeleton, which remembers the leaves of the
// first such object; a Layout is that skeleton with the leaves that equal the
// remembered ones written in, cut at the others. A packed object keeps its
// Layout and, as one string, the JSON of its other leaves: its JSON is the
// layout's parts and those leaves in turn, and decoding is one JSON.parse.
// Only memory changes: what unpack returns is equal, key for key and byte for
// byte, to what was packed (the unit tests check the round trip).
import { JobPhase, isFinalRunPhase, type Resource } from './types.js';

/** Separates leaves in a packed object's text: JSON.stringify escapes it inside strings. */
const SEP = '\u0001';
/** Skeletons remembered; when full the table starts afresh (packed objects keep theirs). */
const SKELETON_TABLE_SIZE = 4096;
/** Layouts per skeleton; likewise bounded. */
const LAYOUTS_PER_SKELETON = 256;

/** The JSON text of objects of one skeleton, with its constant leaves written in. */
interface Layout {
  /** Text before, between and after the variable leaves: one more than there are of them. */
  readonly parts: readonly string[];
}

interface Skeleton {
  /** Leaves (as JSON) of the first object of this skeleton. */
  readonly template: readonly string[];
  /** Layouts by which leaves differ from the template (indexes joined by ','). */
  layouts: Map<string, Layout>;
}

/** A stored object in compact form: see the header. Immutable. */
export class PackedObject {
  constructor(
    private readonly layout: Layout,
    /** The variable leaves' JSON, joined by SEP. */
    private readonly text: string,
    /** The object's kind and key (`namespace/name`), readable without decoding. */
    readonly kind: string,
    readonly key: string,
  ) {}

  /** The object's JSON, exactly what JSON.stringify gave for the object packed. */
  json(): string {
    const parts = this.layout.parts;
    if (parts.length === 1) return parts[0] as string;
    let out = parts[0] as string;
    let from = 0;
    for (let i = 1; i < parts.length - 1; i++) {
      const to = this.text.indexOf(SEP, from);
      out += this.text.slice(from, to) + (parts[i] as string);
      from = to + 1;
    }
    return out + this.text.slice(from) + (parts[parts.length - 1] as string);
  }
}

let skeletons = new Map<string, Skeleton>();

/**
 * Decoded objects and the packed form each came from (or was packed into):
 * whoever caches an object the store handed out (an informer) can keep the
 * store's packed form instead of a second one. Weak: an entry lives as long
 * as the decoded object.
 */
const origins = new WeakMap<object, PackedObject>();

/** Skeleton pieces and leaves of a JSON value: JSON = skel[0] leaf[0] skel[1] ... */
class Cutter {
  readonly skeleton: string[] = [];
  readonly leaves: string[] = [];
  private current = '';

  cut(value: unknown): void {
    if (typeof value === 'object' && value !== null) {
      if (Array.isArray(value)) {
        this.current += '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) this.current += ',';
          this.cut(value[i] === undefined ? null : value[i]);
        }
        this.current += ']';
        return;
      }
      this.current += '{';
      let first = true;
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const member = record[key];
        if (member === undefined) continue;
        this.current += `${first ? '' : ','}${JSON.stringify(key)}:`;
        first = false;
        this.cut(member);
      }
      this.current += '}';
      return;
    }
    this.skeleton.push(this.current);
    this.current = '';
    this.leaves.push(JSON.stringify(value));
  }

  finish(): void {
    this.skeleton.push(this.current);
  }
}

/** The layout of `skeleton` for objects whose leaves differ from its template at `variable`. */
function layoutOf(pieces: readonly string[], skel: Skeleton, variable: number[]): Layout {
  const key = variable.join(',');
  let layout = skel.layouts.get(key);
  if (layout !== undefined) return layout;
  const parts: string[] = [];
  let current = pieces[0] as string;
  let v = 0;
  for (let i = 0; i < skel.template.length; i++) {
    if (variable[v] === i) {
      parts.push(current);
      current = '';
      v++;
    } else {
      current += skel.template[i] as string;
    }
    current += pieces[i + 1] as string;
  }
  parts.push(current);
  layout = { parts };
  if (skel.layouts.size >= LAYOUTS_PER_SKELETON) skel.layouts = new Map();
  skel.layouts.set(key, layout);
  return layout;
}

/** The packed form of a stored (canonical, frozen) object filed under `key`. */
export function pack(object: Resource, key: string): PackedObject {
  const known = origins.get(object);
  if (known !== undefined && known.key === key) return known;
  const cutter = new Cutter();
  cutter.cut(object);
  cutter.finish();
  const sig = cutter.skeleton.join(SEP);
  let skel = skeletons.get(sig);
  if (skel === undefined) {
    skel = { template: cutter.leaves, layouts: new Map() };
    if (skeletons.size >= SKELETON_TABLE_SIZE) skeletons = new Map();
    skeletons.set(sig, skel);
  }
  const variable: number[] = [];
  const values: string[] = [];
  for (let i = 0; i < cutter.leaves.length; i++) {
    const leaf = cutter.leaves[i] as string;
    if (leaf !== skel.template[i]) {
      variable.push(i);
      values.push(leaf);
    }
  }
  const packed = new PackedObject(
    layoutOf(cutter.skeleton, skel, variable),
    values.join(SEP),
    object.kind,
    key,
  );
  origins.set(object, packed);
  return packed;
}

/**
 * Freezes what JSON.parse made, in place. Unlike freezeCanonical it does not
 * intern strings: an unpacked object is mostly read once and dropped.
 */
function freezeParsed(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) freezeParsed(value[i]);
  } else {
    for (const key in value) freezeParsed((value as Record<string, unknown>)[key]);
  }
  Object.freeze(value);
}

/** The object, frozen and canonical, equal to the one packed. */
export function unpack(packed: PackedObject): Resource {
  const object = JSON.parse(packed.json()) as Resource;
  freezeParsed(object);
  origins.set(object, packed);
  return object;
}

/** The packed form `object` was decoded from or packed into, if any. */
export function packedOrigin(object: object): PackedObject | undefined {
  return origins.get(object);
}

/**
 * Whether the store keeps `object` packed: objects that are rarely read or
 * written once they are in this state. Only memory and the cost of a read
 * depend on it, never what a read returns.
 */
export function isCold(object: Resource): boolean {
  switch (object.kind) {
    case 'Event':
      return true;
    case 'Run': {
      const phase = object.status.phase;
      return isFinalRunPhase(typeof phase === 'string' ? phase : undefined);
    }
    case 'Job': {
      const phase = object.status.phase;
      return phase === JobPhase.Succeeded || phase === JobPhase.Failed;
    }
    default:
      return false;
  }
}
