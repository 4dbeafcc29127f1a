// The resource builder (kubectl's cli-runtime resource.Builder): turns -f
// arguments (files, directories with optional -R, "-" for stdin) into objects,
// each remembering where it came from. Multi-document YAML and `kind: List`
// are flattened by parseManifests; with `validate`, every object is checked
// and defaulted client-side and every problem is collected, not just the first.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as ValidationModule from '../../api/validation/index.js';
import type { JsonObject } from '../../api/validation/index.js';
import { defaultKinds, type KindInfo } from '../../store/kinds.js';
import type { Resource } from '../../store/types.js';
import type { Flags } from '../command.js';

/**
 * A manifest that passed client-side validation (pkg/api/validation: the
 * kind's schema, then its defaults) as the resource it describes. The schemas
 * are what guarantees the shape at run time, which the compiler cannot follow
 * from a JsonObject: hence this one cast, instead of one at every use.
 */
export function validatedResource(object: JsonObject): Resource {
  return object as unknown as Resource;
}

/** The -f/-R flags of every verb that reads manifests (apply, delete, diff). */
export const filenameFlags = {
  filename: {
    type: 'string',
    alias: 'f',
    repeatable: true,
    describe: 'FILE, DIR or - (stdin); repeatable',
  },
  recursive: { type: 'boolean', alias: 'R', describe: 'descend into directories given with -f' },
} as const satisfies Flags;

export interface BuilderOptions {
  /** -f values: files, directories, or "-" for standard input. */
  readonly filenames: readonly string[];
  /** -R: descend into subdirectories. */
  readonly recursive?: boolean;
  readonly readStdin?: () => Promise<string>;
  /** Namespace for objects that name none (ignored for cluster-scoped kinds). */
  readonly namespace: string;
  /** -n was given: an object naming another namespace is an error. */
  readonly namespaceExplicit?: boolean;
  /** Validate against the schemas and fill defaults (apply, diff); else only parse (delete). */
  readonly validate: boolean;
  /** Names the verb in "no objects passed to VERB" (default apply). */
  readonly verb?: string;
}

/** One object from the input. */
export interface Info {
  readonly info: KindInfo;
  readonly object: JsonObject;
  readonly name: string;
  /** '' for cluster-scoped kinds. */
  readonly namespace: string;
  /** File name as given ("job.yaml", "dir/a.yaml", "<stdin>"). */
  readonly source: string;
  readonly line: number;
}

export interface BuildResult {
  readonly infos: Info[];
  /** One line per problem, ready to print. */
  readonly errors: string[];
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

interface Source {
  readonly name: string;
  readonly text?: string;
  /** Bytes on disk, checked against the size limit before reading. */
  readonly path?: string;
}

async function collect(
  path: string,
  recursive: boolean,
  top: boolean,
  out: Source[],
  errors: string[],
): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch {
    errors.push(`error: the path "${path}" does not exist`);
    return;
  }
  if (st.isDirectory()) {
    if (!top && !recursive) return;
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const child = join(path, e.name);
      if (e.isDirectory()) {
        if (recursive) await collect(child, recursive, false, out, errors);
      } else if (MANIFEST_EXTENSIONS.some((ext) => e.name.endsWith(ext))) {
        out.push({ name: child, path: child });
      }
    }
    return;
  }
  out.push({ name: path, path });
}

/** Reads, parses and (optionally) validates everything the -f arguments name. */
export async function buildObjects(opts: BuilderOptions): Promise<BuildResult> {
  const errors: string[] = [];
  const sources: Source[] = [];
  for (const f of opts.filenames) {
    if (f === '-') {
      if (!opts.readStdin) {
        errors.push('error: standard input is not available');
        continue;
      }
      sources.push({ name: '<stdin>', text: await opts.readStdin() });
    } else {
      await collect(f, opts.recursive === true, true, sources, errors);
    }
  }
  const v = await import('../../api/validation/index.js');
  const infos: Info[] = [];
  for (const src of sources) {
    let text = src.text;
    if (text === undefined && src.path !== undefined) {
      const tooBig = v.checkManifestSize((await stat(src.path)).size, src.name);
      if (tooBig) {
        errors.push(tooBig);
        continue;
      }
      text = await readFile(src.path, 'utf8');
    }
    const parsed = v.parseManifests(text ?? '', src.name);
    errors.push(...parsed.errors);
    for (const m of parsed.manifests) {
      const built = toInfo(m.object, m.source, m.line, opts, v);
      if (typeof built === 'string' || Array.isArray(built)) errors.push(...[built].flat());
      else infos.push(built);
    }
  }
  if (errors.length === 0 && infos.length === 0) {
    errors.push(`error: no objects passed to ${opts.verb ?? 'apply'}`);
  }
  return { infos, errors };
}

type Validation = typeof ValidationModule;

function toInfo(
  raw: JsonObject,
  source: string,
  line: number,
  opts: BuilderOptions,
  v: Validation,
): Info | string | string[] {
  const meta = (typeof raw.metadata === 'object' && raw.metadata) as JsonObject | false;
  const rawName = meta && typeof meta.name === 'string' ? meta.name : '';
  const rawKind = typeof raw.kind === 'string' ? raw.kind : '';
  const info = defaultKinds.get(rawKind);
  const ownNs = meta && typeof meta.namespace === 'string' ? meta.namespace : undefined;
  if (
    info?.namespaced &&
    opts.namespaceExplicit &&
    ownNs !== undefined &&
    ownNs !== opts.namespace
  ) {
    return `${source}: ${rawKind} ${JSON.stringify(rawName)}: the namespace from the provided object "${ownNs}" does not match the namespace "${opts.namespace}". You must pass '--namespace=${ownNs}' to perform this operation.`;
  }
  const namespace = info?.namespaced ? (ownNs ?? opts.namespace) : '';
  if (!opts.validate) {
    if (!info) {
      return `${source}: no matches for kind "${rawKind}" in version "${String(raw.apiVersion ?? '')}"`;
    }
    if (!rawName) return `${source}: ${rawKind}: metadata.name: required field is missing`;
    return { info, object: raw, name: rawName, namespace, source, line };
  }
  const result = v.validateManifest(raw, {
    source,
    ...(info?.namespaced ? { namespace } : {}),
  });
  if (!result.ok) return v.formatValidationErrors(source, result.kind, result.name, result.errors);
  const kindInfo = defaultKinds.get(result.object.kind) as KindInfo;
  return { info: kindInfo, object: result.object, name: result.name, namespace, source, line };
}
