// Which scheduled times ("slots") of a schedule fall in a window, without
// walking millions of them after a long downtime: the cron controller needs
// the latest due slot (the one catch-up run) and how many were missed (the
// Event), nothing in between.
import type { CronSchedule } from '../../util/cron.js';

/** Slots counted one by one before the count is reported as "more than". */
export const MAX_COUNTED_SLOTS = 1000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// Growing look-back windows for the latest slot once counting gave up. A
// schedule fires at most once a minute, so the first window that holds any
// slot holds few enough to walk; the last covers the longest gap a schedule
// can have (Feb 29 on a weekday: 8 years).
const LOOK_BACK_MS = [HOUR_MS, DAY_MS, 32 * DAY_MS, 367 * DAY_MS, 8 * 367 * DAY_MS + DAY_MS];

export interface DueSlots {
  /** Slots in (after, now]; when `capped`, at least this many. */
  readonly count: number;
  readonly capped: boolean;
  /** The latest slot <= now (ms), if any is due. */
  readonly latest?: number;
}

/** The slots of `schedule` (in `timeZone`) strictly after `afterMs` and at or before `nowMs`. */
export function dueSlots(
  schedule: CronSchedule,
  timeZone: string,
  afterMs: number,
  nowMs: number,
): DueSlots {
  const next = (t: number): number => schedule.next(new Date(t), timeZone).getTime();
  let count = 0;
  let latest: number | undefined;
  for (let t = next(afterMs); t <= nowMs; t = next(t)) {
    latest = t;
    if (++count >= MAX_COUNTED_SLOTS) {
      return { count, capped: true, latest: latestBefore(next, t, nowMs) };
    }
  }
  return latest === undefined ? { count, capped: false } : { count, capped: false, latest };
}

/** The latest slot in (floor, now], known to exist (floor itself is one). */
function latestBefore(next: (t: number) => number, floor: number, nowMs: number): number {
  for (const window of LOOK_BACK_MS) {
    let latest: number | undefined;
    for (let t = next(Math.max(floor, nowMs - window)); t <= nowMs; t = next(t)) latest = t;
    if (latest !== undefined) return latest;
  }
  return floor;
}
