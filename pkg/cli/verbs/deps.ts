// What every resource verb gets injected, so a test can run it with string
// streams, a fake clock and an in-process client, without argv or a cluster
// (kubectl's IOStreams + Factory). Verbs return their exit code; errors they
// throw are mapped to one line and a code by runVerb (pkg/cli/errors.ts).
import type { ResourceClient } from '../../client/index.js';
import type { Clock } from '../../util/clock.js';
import type { Connection } from '../contexts.js';
import { describeError } from '../errors.js';
import { colorWanted, loadPalette, type Palette } from '../printers/color.js';

/** The part of a writable stream verbs use. */
export interface Out {
  /** Text, or raw bytes (a Run's output, passed through as it was written). */
  write(chunk: string | Uint8Array): unknown;
}

export interface VerbDeps {
  /** The client, or a factory called once on first use (connecting lazily). */
  readonly client: ResourceClient | (() => Promise<ResourceClient>);
  readonly stdout: Out;
  readonly stderr: Out;
  /** Whether stdout is a terminal (colours). */
  readonly isTTY: boolean;
  /** Whether stderr is a terminal (spinners; pkg/cli/progress.ts). Default false. */
  readonly stderrIsTTY?: boolean;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for -f -). */
  readonly readStdin?: () => Promise<string>;
  /** Ends long-running verbs (get -w, wait, logs -f) early; e.g. tied to SIGINT. */
  readonly signal?: AbortSignal;
}

/**
 * What the CLI's entry point gives every command: the verbs' streams and
 * clock, how to reach a cluster, and where exit codes go (process.exit in
 * cmd/jobctl.ts; a variable in tests).
 */
export interface CliDeps extends Omit<VerbDeps, 'client'> {
  /** A client for a resolved connection (the gRPC ResourceClient in production). */
  connect(conn: Connection): Promise<ResourceClient>;
  /** Receives each command's exit code. */
  exit(code: number): void;
}

/** Flags every resource verb shares (global in DESIGN.md §4). */
export interface CommonOptions {
  /** The namespace to work in (from -n, else the context, else "default"). */
  readonly namespace: string;
  /** True when -n was given explicitly (then a manifest's own namespace must agree). */
  readonly namespaceExplicit?: boolean;
  readonly noColor?: boolean;
}

/** The shared options every cluster verb takes from the global flags and the connection. */
export function commonOptions(
  args: { readonly color?: boolean | undefined },
  conn: Connection,
): CommonOptions {
  return {
    namespace: conn.namespace,
    namespaceExplicit: conn.namespaceExplicit,
    noColor: args.color === false,
  };
}

const clients = new WeakMap<VerbDeps, Promise<ResourceClient>>();

/** The verb's client (the factory is called at most once per deps). */
export function clientOf(deps: VerbDeps): Promise<ResourceClient> {
  if (typeof deps.client !== 'function') return Promise.resolve(deps.client);
  let p = clients.get(deps);
  if (!p) {
    p = deps.client();
    clients.set(deps, p);
  }
  return p;
}

export function paletteOf(deps: VerbDeps, noColor?: boolean): Promise<Palette> {
  return loadPalette(colorWanted({ isTTY: deps.isTTY, env: deps.env, noColor }));
}

/**
 * Runs a verb: its exit code, or the code of what it threw, after writing
 * that error as one line on stderr (no stack traces for user errors).
 */
export async function runVerb(deps: VerbDeps, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    const { line, code } = describeError(err);
    deps.stderr.write(`${line}\n`);
    return code;
  }
}
