// A one-line spinner on stderr for long waits (apply --wait, wait), drawn only
// when stderr is a terminal: in pipes, files and CI logs nothing is written,
// so output stays exactly what scripts parse. The line is redrawn in place
// (\r + erase line) on the verb's clock; clear() erases it before a result
// line is printed, and the next tick draws it again below.
import type { VerbDeps } from './verbs/deps.js';

export interface Progress {
  /** The text after the spinner (the elapsed time is appended). */
  set(text: string): void;
  /** Erases the line now (call before writing anything else to the terminal). */
  clear(): void;
  /** Erases the line and stops redrawing. */
  stop(): void;
}

export const noProgress: Progress = { set: () => {}, clear: () => {}, stop: () => {} };

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ERASE = '\r\x1b[2K';

/** Whether a spinner may be drawn: stderr is a terminal that understands escapes. */
export function progressWanted(deps: Pick<VerbDeps, 'stderrIsTTY' | 'env'>): boolean {
  return deps.stderrIsTTY === true && deps.env.TERM !== 'dumb';
}

export function startProgress(deps: VerbDeps, text: string, intervalMs = 100): Progress {
  if (!progressWanted(deps)) return noProgress;
  const started = deps.clock.now();
  let frame = 0;
  let current = text;
  let shown = false;
  let stopped = false;
  const draw = (): void => {
    const secs = Math.floor((deps.clock.now() - started) / 1000);
    const glyph = FRAMES[frame++ % FRAMES.length] ?? '';
    deps.stderr.write(`${ERASE}${glyph} ${current} (${secs}s)`);
    shown = true;
  };
  let timer = deps.clock.setTimer(intervalMs, function tick() {
    if (stopped) return;
    draw();
    timer = deps.clock.setTimer(intervalMs, tick);
  });
  return {
    set(t) {
      current = t;
    },
    clear() {
      if (shown) deps.stderr.write(ERASE);
      shown = false;
    },
    stop() {
      stopped = true;
      timer.cancel();
      this.clear();
    },
  };
}
