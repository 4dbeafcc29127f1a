// parseManifests: the text of one manifest file (YAML, possibly several documents, or
// JSON) in, plain objects out, each remembering its source file and line. Problems
// come back as error lines ("job.yaml:3:5: <what is wrong>"); nothing throws.
//
// Hostile input is expected: files over the size limit, YAML alias bombs (a few
// hundred bytes expanding to gigabytes), custom tags, non-JSON values, deep nesting.

import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, LineCounter as LineCounterType } from 'yaml';
import { checkManifestSize } from './limits.js';
import { describeValue } from './messages.js';
import { cloneJson, isObject, type JsonObject } from './normalize.js';
import type { FieldError } from './messages.js';
import { formatPath } from './paths.js';

const require = createRequire(import.meta.url);

/** Aliases (*ref) allowed per document: enough for real reuse, far too few for a bomb. */
export const MAX_YAML_ALIASES = 100;
// `kind: List` may nest; real files never go deeper than this.
const MAX_LIST_DEPTH = 8;

export interface ParsedManifest {
  readonly object: JsonObject;
  readonly source: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
  /** 1-based line where the object starts. */
  readonly line: number;
}

export interface ParseResult {
  readonly manifests: ParsedManifest[];
  /** One line per problem, prefixed with source and, where known, line:column. */
  readonly errors: string[];
}

type Yaml = typeof YamlModule;
let yamlModule: Yaml | undefined;
// Loaded on first use: yaml takes longer to import than a CLI can spare for verbs that never parse.
function yaml(): Yaml {
  return (yamlModule ??= require('yaml') as Yaml);
}

/** yaml's messages end with " at line 3, column 5:" and a code excerpt; keep the sentence. */
function cleanMessage(message: string): string {
  const first = message.split('\n', 1)[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function decode(text: string | Uint8Array, source: string, errors: string[]): string | undefined {
  if (typeof text === 'string') return text;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    errors.push(`${source}: not valid UTF-8 text`);
    return undefined;
  }
}

/** Parses every document of a manifest file. `source` names the file in messages. */
export function parseManifests(text: string | Uint8Array, source = '<stdin>'): ParseResult {
  const manifests: ParsedManifest[] = [];
  const errors: string[] = [];
  const tooBig = checkManifestSize(typeof text === 'string' ? text : text.byteLength, source);
  if (tooBig !== undefined) return { manifests, errors: [tooBig] };
  const decoded = decode(text, source, errors);
  if (decoded === undefined) return { manifests, errors };
  const body = decoded.replace(/^\uFEFF/, '');

  try {
    const { parseAllDocuments, LineCounter } = yaml();
    const lines = new LineCounter();
    const docs = parseAllDocuments(body, {
      lineCounter: lines,
      uniqueKeys: true,
      prettyErrors: true,
      // Problems are reported as error lines; yaml must not also print to stderr.
      logLevel: 'silent',
    });
    const where = (offset: number | undefined): string => {
      const p = lines.linePos(offset ?? 0);
      return `${source}:${p.line}:${p.col}`;
    };
    Array.from(docs).forEach((doc, i) => {
      parseDocument(doc, i + 1, { source, lines, where, manifests, errors });
    });
  } catch (err) {
    // The yaml parser itself failed (e.g. nesting deeper than the stack allows).
    errors.push(
      `${source}: cannot parse: ${cleanMessage(err instanceof Error ? err.message : String(err))}`,
    );
  }
  return { manifests, errors };
}

interface Context {
  readonly source: string;
  readonly lines: LineCounterType;
  readonly where: (offset: number | undefined) => string;
  readonly manifests: ParsedManifest[];
  readonly errors: string[];
}

function parseDocument(doc: Document.Parsed, index: number, ctx: Context): void {
  const { where, errors } = ctx;
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const at = pos ? `${ctx.source}:${pos.line}:${pos.col}` : where(e.pos[0]);
      errors.push(`${at}: ${cleanMessage(e.message)}`);
    }
    return;
  }
  // An unknown tag (!foo) would otherwise silently become a string.
  const badTags = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  for (const w of badTags) errors.push(`${where(w.pos[0])}: ${cleanMessage(w.message)}`);
  if (badTags.length > 0) return;
  if (doc.contents === null) return; // empty document (e.g. a trailing ---): skip
  const start = doc.contents.range[0];

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    errors.push(
      /alias/i.test(msg)
        ? `${where(start)}: document ${index} uses YAML aliases too heavily (more than ${MAX_YAML_ALIASES} expansions); refusing a possible alias bomb`
        : `${where(start)}: ${cleanMessage(msg)}`,
    );
    return;
  }
  if (value === null || value === undefined) return; // a document with no content (e.g. "---" twice)
  const fieldErrors: FieldError[] = [];
  const plain = cloneJson(value, fieldErrors);
  if (fieldErrors.length > 0) {
    for (const e of fieldErrors)
      errors.push(`${where(start)}: ${e.path ? `${e.path}: ` : ''}${e.message}`);
    return;
  }
  addObject(
    plain,
    index,
    start,
    ctx,
    0,
    (path) => {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range?.[0] ?? start;
    },
    [],
  );
}

function addObject(
  value: unknown,
  index: number,
  offset: number,
  ctx: Context,
  depth: number,
  offsetOf: (path: (string | number)[]) => number,
  path: (string | number)[],
): void {
  if (!isObject(value)) {
    const what = path.length > 0 ? `${formatPath(path)} of document ${index}` : `document ${index}`;
    ctx.errors.push(
      `${ctx.where(offset)}: ${what} is ${describeValue(value)}, not an object (a manifest is a map with apiVersion, kind and metadata; separate several with ---)`,
    );
    return;
  }
  if (value.kind === 'List' && !('spec' in value)) {
    if (depth >= MAX_LIST_DEPTH) {
      ctx.errors.push(
        `${ctx.where(offset)}: kind: List nested more than ${MAX_LIST_DEPTH} levels deep`,
      );
      return;
    }
    if (!Array.isArray(value.items)) {
      ctx.errors.push(`${ctx.where(offset)}: a List needs items: an array of objects`);
      return;
    }
    value.items.forEach((item, i) => {
      const p = [...path, 'items', i];
      addObject(item, index, offsetOf(p), ctx, depth + 1, offsetOf, p);
    });
    return;
  }
  ctx.manifests.push({
    object: value,
    source: ctx.source,
    document: index,
    line: ctx.lines.linePos(offset).line,
  });
}
