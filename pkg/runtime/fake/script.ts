// How the FakeRuntime reads an outcome out of a container spec, so a test can say what
// should happen in the manifest itself:
//
//   image "missing:<anything>" or "missing/<anything>"   → ImagePullFailed
//   command containing `exit N`                            → exits with code N
//   command containing `sleep N` (seconds, may be decimal) → runs N seconds (injected clock)
//   command containing the word `oom`                      → OOMKilled (exit 137)
//   `echo WORDS` segments                                  → WORDS become the log output
//
// The command is read as one string (its elements joined by spaces), so ["sh", "-c",
// "sleep 5; exit 3"] and ["sleep", "5"] both work.
import type { RunContainerSpec } from '../types.js';

export interface FakeOutcome {
  /** Default 0 (137 when oomKilled). */
  readonly exitCode?: number;
  /** How long the container "runs" on the runtime's clock. Default: the runtime's default. */
  readonly durationMs?: number;
  readonly oomKilled?: boolean;
  /** Log output. Default: the text of `echo` segments, else one "fake: ran ..." line. */
  readonly output?: string;
  /** start() rejects with ImagePullFailedError carrying this message. */
  readonly pullError?: string;
  /** start() rejects with StartFailedError carrying this message. */
  readonly startError?: string;
}

/** The outcome scripted by the spec's image and command (fields absent when not scripted). */
export function scriptedOutcome(spec: RunContainerSpec): FakeOutcome {
  // `sh -c SCRIPT` reads as SCRIPT.
  const text = spec.command.join(' ').replace(/^\s*\S*sh\s+-c\s+/, '');
  const out: {
    exitCode?: number;
    durationMs?: number;
    oomKilled?: boolean;
    output?: string;
    pullError?: string;
  } = {};
  if (/^missing[:/]/.test(spec.image)) {
    out.pullError = `pull access denied for ${spec.image.replace(/:.*$/, '')}, repository does not exist (fake runtime)`;
  }
  const exit = /\bexit\s+(\d+)/.exec(text);
  if (exit) out.exitCode = Number(exit[1]);
  const sleep = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(text);
  if (sleep) out.durationMs = Math.round(Number(sleep[1]) * 1000);
  if (/\boom\b/.test(text)) out.oomKilled = true;
  const echoed = echoOutput(text);
  if (echoed !== undefined) out.output = echoed;
  return out;
}

/** The lines `echo` would print: quotes and redirections stripped, one line per echo. */
function echoOutput(text: string): string | undefined {
  const lines: string[] = [];
  for (const segment of text.split(/;|&&|\|\||\n/)) {
    const m = /^\s*echo\s+(.*?)\s*$/.exec(segment) ?? /^\s*echo\s*$/.exec(segment);
    if (!m) continue;
    const words = (m[1] ?? '')
      .replace(/\s*\d?>&?\s*\S+/g, '') // >&2, >/dev/null, 2>&1
      .replace(/^(["'])(.*)\1$/, '$2');
    lines.push(words);
  }
  return lines.length > 0 ? lines.map((l) => `${l}\n`).join('') : undefined;
}
