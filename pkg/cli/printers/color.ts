// Colours: only when stdout is a TTY and neither NO_COLOR nor --no-color is
// set. chalk is imported only when colour is on, so piped output and tests
// never load it. Colour is always in addition to the words (phases are
// spelled out), never instead of them.

export type Paint = (text: string) => string;

export interface Palette {
  readonly enabled: boolean;
  /** Colours a phase/status word by its meaning (green ok, red bad, yellow waiting...). */
  phase(word: string, text?: string): string;
  bold: Paint;
  added: Paint;
  removed: Paint;
  faint: Paint;
}

const identity: Paint = (t) => t;

export const plainPalette: Palette = {
  enabled: false,
  phase: (word, text) => text ?? word,
  bold: identity,
  added: identity,
  removed: identity,
  faint: identity,
};

/** Whether colour is wanted: a TTY, no NO_COLOR (any value), no --no-color. */
export function colorWanted(opts: {
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  noColor?: boolean;
}): boolean {
  return opts.isTTY && opts.noColor !== true && opts.env.NO_COLOR === undefined;
}

const GOOD = new Set(['Succeeded', 'Complete', 'Ready', 'True', 'Completed', 'healthy']);
const BAD = new Set([
  'Failed',
  'Lost',
  'NotReady',
  'RuntimeNotReady',
  'False',
  'Error',
  'OOMKilled',
  'DeadlineExceeded',
  'ImagePullFailed',
  'unreachable',
]);
const BUSY = new Set(['Running', 'Scheduled']);
const WAITING = new Set(['Pending', 'Suspended', 'Cancelled', 'Unknown', 'SchedulingDisabled']);

/** A palette: chalk's colours when wanted, the plain one otherwise. */
export async function loadPalette(wanted: boolean): Promise<Palette> {
  if (!wanted) return plainPalette;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return {
    enabled: true,
    phase(word, text = word) {
      // A compound status ("Ready,RuntimeNotReady") takes its first word's
      // colour unless a later word is bad.
      const words = word.split(',');
      const key = words[0] ?? word;
      if (words.some((w) => BAD.has(w))) return c.red(text);
      if (GOOD.has(key)) return c.green(text);
      if (BUSY.has(key)) return c.cyan(text);
      if (WAITING.has(key)) return c.yellow(text);
      return text;
    },
    bold: (t) => c.bold(t),
    added: (t) => c.green(t),
    removed: (t) => c.red(t),
    faint: (t) => c.dim(t),
  };
}
