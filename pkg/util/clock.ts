// Time comes into the system through a Clock so that tests and simulations can
// drive it. Code outside the I/O shells never calls Date.now() or setTimeout().

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock; may jump). */
  now(): number;
  /** Monotonic milliseconds, for measuring durations and deadlines. */
  monotonic(): number;
  /** Calls fn once after ms milliseconds unless cancelled first. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves after ms milliseconds. */
  sleep(ms: number): Promise<void>;
}

/**
 * Test hook (chaos suite, docs/chaos.md): offsets added to what realClock reads, so a
 * nemesis can make one jobd's wall clock jump (either way) and its monotonic clock jump
 * forward, as NTP steps and VM pauses do. Timers are not affected. Zero in production.
 */
const skew = { wallMs: 0, monoMs: 0 };

/** Sets the realClock offsets (the monotonic one never goes back: it only grows). */
export function setRealClockSkew(wallMs: number, monoMs: number): void {
  skew.wallMs = wallMs;
  skew.monoMs = Math.max(skew.monoMs, monoMs);
}

export const realClock: Clock = {
  now: () => Date.now() + skew.wallMs,
  monotonic: () => performance.now() + skew.monoMs,
  setTimer(ms, fn) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in deadline order (ties in
 * creation order) during advance(), so a test using it is deterministic.
 */
export class FakeClock implements Clock {
  private wall: number;
  private mono = 0;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(startWallMs = 1_700_000_000_000) {
    this.wall = startWallMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: PendingTimer = {
      at: this.mono + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.wall += due.at - this.mono;
      this.mono = due.at;
      due.fn();
    }
    this.wall += target - this.mono;
    this.mono = target;
  }

  /** Jumps the wall clock only (as NTP might); monotonic time is unaffected. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }
}
