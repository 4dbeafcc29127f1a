// Long loops must share the event loop. A leader's controllers start against
// everything stored (an informer's first list of 100,000 Jobs and Runs, a
// resync replaying them all, workers draining a queue of keys whose reconciles
// finish without I/O, so that each await resumes as a microtask and never lets
// the loop turn). Run in one go, such work holds back the Raft ticks and the
// sockets behind it: the leader stops sending heartbeats past the election
// timeout and the cluster loses its leader while under load (issue 12).
//
// A TurnBudget lets a loop run for a slice of time and then yield to the event
// loop (setImmediate: after due timers and pending I/O) before going on. One
// budget is shared by every loop of a process, as they share one event loop.
// Time is read from the injected Clock: a FakeClock never moves on its own, so
// tests driving one see no yields and stay deterministic.
import type { Clock } from '../util/clock.js';

/** How long a slice of work may hold the event loop before it yields (ms). */
export const DEFAULT_SLICE_MS = 10;

export class TurnBudget {
  /** When the current slice began; meaningful while `open`. */
  private sliceStart = 0;
  /** A slice is running: set by the first spend() of a turn, cleared when the turn ends. */
  private open = false;

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly sliceMs = DEFAULT_SLICE_MS,
    /** Resolves on a later event-loop turn. */
    private readonly yieldTurn: () => Promise<void> = nextTurn,
  ) {}

  /**
   * Undefined while the current slice has time left (the caller goes on at
   * once); otherwise a promise that resolves on a later turn, where a new
   * slice begins. Use as `const turn = budget.spend(); if (turn) await turn;`
   * so that a loop within its slice does not even pay a microtask per item.
   * A slice starts at the first spend() of a turn (work that came in by a
   * timer or a socket), not at the last yield, so a loop that wakes up after
   * a quiet while is not sent to the back of the line for nothing.
   */
  spend(): Promise<void> | undefined {
    const now = this.clock.monotonic();
    if (!this.open) {
      this.open = true;
      this.sliceStart = now;
      setImmediate(() => (this.open = false));
      return undefined;
    }
    if (now - this.sliceStart < this.sliceMs) return undefined;
    return this.yieldTurn();
  }
}

/** Resolves after the event loop has run its due timers and pending I/O. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const budgets = new WeakMap<object, TurnBudget>();

/** The budget shared by every loop that uses `clock` (one per process in production). */
export function turnBudgetOf(clock: Clock): TurnBudget {
  let budget = budgets.get(clock);
  if (!budget) budgets.set(clock, (budget = new TurnBudget(clock)));
  return budget;
}
