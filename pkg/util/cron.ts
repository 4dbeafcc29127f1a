// Five-field cron schedules, as CronJob.spec.schedule uses them, and the time of the
// next firing in an IANA time zone.
//
//   ┌ minute (0-59)  ┌ hour (0-23)  ┌ day of month (1-31)  ┌ month (1-12 or jan-dec)
//   │                │              │                      │   ┌ day of week (0-7 or sun-sat; 0 and 7 are Sunday)
//   *                *              *                      *   *
//
// Each field is a comma-separated list of `*`, `N`, `N-M`, each optionally with a
// step (`*/15`, `0-30/5`, `5/10` = from 5 to the maximum every 10). `?` is accepted
// for `*` in the two day fields. Macros: @yearly (@annually), @monthly, @weekly,
// @daily (@midnight), @hourly.
//
// As in Vixie cron and Kubernetes, when both day-of-month and day-of-week are
// restricted (neither is `*`), a day matches if EITHER matches.
//
// Daylight-saving time: schedules are in wall-clock time of the zone. A wall time the
// clocks skip (spring forward) fires at the first instant after the jump; a wall time
// that happens twice (fall back) fires once, at its first occurrence.
//
// We implement this rather than depend on cron-parser because the validator needs
// precise per-field messages ("minute 61 out of range 0-59") and the scheduler needs a
// small, deterministic next() that takes its `after` instant from the injected Clock.

import { JobctlError, Reason } from './errors.js';

/** A schedule string that cannot be parsed or can never fire. */
export class CronError extends JobctlError {
  constructor(message: string) {
    super(Reason.Invalid, message);
    this.name = 'CronError';
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Whether `?` may stand for `*`. */
  readonly question?: boolean;
}

const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day of month', min: 1, max: 31, question: true };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
// 7 is accepted as Sunday and folded onto 0 after parsing.
const DAY_OF_WEEK: FieldSpec = {
  name: 'day of week',
  min: 0,
  max: 7,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  question: true,
};

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// Longest possible gap between firings: Feb 29 with an unrestricted day of week
// recurs at most 8 years apart (2096 → 2104).
const SEARCH_DAYS = 8 * 366 + 2;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Days in each month of a leap year, for the "can this ever fire" check.
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseValue(token: string, spec: FieldSpec): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < spec.min || n > spec.max) {
      throw new CronError(`${spec.name} ${token} out of range ${spec.min}-${spec.max}`);
    }
    return n;
  }
  const index = spec.names?.indexOf(token.toLowerCase()) ?? -1;
  if (index >= 0) return index + (spec === MONTH ? 1 : 0);
  const hint = spec.names
    ? ` (use ${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names.at(-1)})`
    : '';
  throw new CronError(`${spec.name} ${JSON.stringify(token)} is not a number${hint}`);
}

/** Parses one field into the sorted set of values it selects, and whether it was `*`. */
function parseField(text: string, spec: FieldSpec): { values: number[]; star: boolean } {
  const selected = new Set<number>();
  const star = text === '*' || (spec.question === true && text === '?');
  for (const item of text.split(',')) {
    if (item === '')
      throw new CronError(`${spec.name} field ${JSON.stringify(text)} has an empty list item`);
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined)
      throw new CronError(`${spec.name} ${JSON.stringify(item)} has more than one "/"`);
    let lo: number;
    let hi: number;
    if (range === '*' || (spec.question === true && range === '?')) {
      lo = spec.min;
      hi = spec.max;
    } else {
      const [a = '', b, more] = range.split('-');
      if (more !== undefined)
        throw new CronError(`${spec.name} ${JSON.stringify(item)} is not a valid range`);
      lo = parseValue(a, spec);
      // `5/15` means from 5 to the end of the field, every 15.
      hi = b !== undefined ? parseValue(b, spec) : stepText !== undefined ? spec.max : lo;
      if (lo > hi) {
        throw new CronError(
          `${spec.name} range ${range} is backwards (the start must not be after the end)`,
        );
      }
    }
    let step = 1;
    if (stepText !== undefined) {
      const span = spec.max - spec.min + (spec === DAY_OF_WEEK ? 0 : 1);
      if (!/^\d+$/.test(stepText))
        throw new CronError(`${spec.name} step ${JSON.stringify(stepText)} is not a number`);
      step = Number(stepText);
      if (step < 1 || step > span)
        throw new CronError(`${spec.name} step ${stepText} out of range 1-${span}`);
    }
    for (let v = lo; v <= hi; v += step) selected.add(spec === DAY_OF_WEEK && v === 7 ? 0 : v);
  }
  return { values: [...selected].sort((a, b) => a - b), star };
}

/** Wall-clock fields of an instant in a zone. */
interface Wall {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Converts between instants and wall-clock time in one IANA zone, via Intl. */
class Zone {
  private readonly fmt: Intl.DateTimeFormat | undefined;

  constructor(timeZone: string) {
    // UTC needs no Intl round trips.
    this.fmt =
      timeZone === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
            era: 'short',
          });
  }

  /** The zone's wall clock at instant t, as if it were UTC milliseconds. */
  wallMs(t: number): number {
    if (this.fmt === undefined) return t;
    const f: Record<string, string> = {};
    for (const p of this.fmt.formatToParts(t)) f[p.type] = p.value;
    let year = Number(f.year);
    if (f.era === 'BC' || f.era === 'B') year = 1 - year;
    const d = new Date(0);
    d.setUTCFullYear(year, Number(f.month) - 1, Number(f.day));
    d.setUTCHours(Number(f.hour), Number(f.minute), Number(f.second), 0);
    return d.getTime() + (((t % 1000) + 1000) % 1000);
  }

  offset(t: number): number {
    return this.wallMs(t) - t;
  }

  wall(t: number): Wall {
    const d = new Date(this.wallMs(t));
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
    };
  }

  /**
   * The instants at which the wall clock shows w (given as UTC-style ms): one
   * normally, two in a repeated (fall-back) hour, and, for a skipped (spring-forward)
   * wall time, the single instant at which the jump happens.
   */
  instants(w: number): number[] {
    if (this.fmt === undefined) return [w];
    const before = this.offset(w - DAY_MS);
    const after = this.offset(w + DAY_MS);
    const found = new Set<number>();
    for (const o of [before, after]) if (this.offset(w - o) === o) found.add(w - o);
    if (found.size > 0) return [...found].sort((a, b) => a - b);
    // Skipped wall time: binary-search the first minute whose wall clock is past w.
    let lo = Math.floor((w - Math.max(before, after)) / MINUTE_MS);
    let hi = Math.ceil((w - Math.min(before, after)) / MINUTE_MS);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.wallMs(mid * MINUTE_MS) >= w) hi = mid;
      else lo = mid;
    }
    return [hi * MINUTE_MS];
  }
}

const zones = new Map<string, Zone>();
function zoneFor(timeZone: string): Zone {
  let z = zones.get(timeZone);
  if (z === undefined) {
    if (!isValidTimeZone(timeZone))
      throw new CronError(`unknown time zone ${JSON.stringify(timeZone)}`);
    z = new Zone(timeZone);
    zones.set(timeZone, z);
  }
  return z;
}

/** Whether Intl knows the IANA time zone name (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '' || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A parsed cron schedule. Immutable; build one with parseCron(). */
export class CronSchedule {
  private readonly minutes: readonly number[];
  private readonly hours: readonly number[];
  private readonly daysOfMonth: ReadonlySet<number>;
  private readonly months: ReadonlySet<number>;
  private readonly daysOfWeek: ReadonlySet<number>;
  private readonly domStar: boolean;
  private readonly dowStar: boolean;

  /** Use parseCron(). */
  constructor(readonly expression: string) {
    const trimmed = expression.trim();
    if (trimmed === '') throw new CronError('schedule is empty');
    if (/^(CRON_)?TZ=/.test(trimmed)) {
      throw new CronError('put the time zone in spec.timeZone, not in the schedule');
    }
    let body = trimmed;
    if (trimmed.startsWith('@')) {
      const macro = MACROS[trimmed.toLowerCase()];
      if (macro === undefined) {
        throw new CronError(
          `unknown macro ${JSON.stringify(trimmed)} (use @yearly, @monthly, @weekly, @daily or @hourly)`,
        );
      }
      body = macro;
    }
    const fields = body.split(/\s+/);
    if (fields.length !== 5) {
      throw new CronError(
        `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
      );
    }
    const [mi = '', h = '', dom = '', mo = '', dow = ''] = fields;
    this.minutes = parseField(mi, MINUTE).values;
    this.hours = parseField(h, HOUR).values;
    const d = parseField(dom, DAY_OF_MONTH);
    this.months = new Set(parseField(mo, MONTH).values);
    const w = parseField(dow, DAY_OF_WEEK);
    this.daysOfMonth = new Set(d.values);
    this.daysOfWeek = new Set(w.values);
    this.domStar = d.star;
    this.dowStar = w.star;
    // With any weekday allowed, "0 0 30 2 *" would silently never run: refuse it.
    if (this.dowStar && !this.domStar) {
      const possible = [...this.months].some((m) =>
        d.values.some((day) => day <= (MAX_DAYS_IN_MONTH[m - 1] ?? 31)),
      );
      if (!possible)
        throw new CronError(
          'never fires: none of the selected months has any of the selected days',
        );
    }
  }

  /** Whether the schedule fires on the given calendar day (dayOfWeek 0 = Sunday). */
  private matchesDay(month: number, day: number, dayOfWeek: number): boolean {
    if (!this.months.has(month)) return false;
    const domOk = this.daysOfMonth.has(day);
    const dowOk = this.daysOfWeek.has(dayOfWeek);
    if (this.domStar || this.dowStar) return domOk && dowOk;
    return domOk || dowOk;
  }

  /**
   * The first firing strictly after `after`, interpreting the schedule in `timeZone`
   * (an IANA name; default UTC). Pure: the caller supplies the current time.
   */
  next(after: Date, timeZone = 'UTC'): Date {
    const zone = zoneFor(timeZone);
    const afterMs = after.getTime();
    if (!Number.isFinite(afterMs)) throw new CronError('next() needs a valid date');
    const start = zone.wall(afterMs);
    // The first wall-clock minute to consider: the one after `after`'s minute. In a
    // repeated hour, instants() still returns the later occurrence when it is > after.
    const firstMinuteOfDay = start.hour * 60 + start.minute + 1;
    const day0 = new Date(0);
    day0.setUTCFullYear(start.year, start.month - 1, start.day);
    for (let i = 0; i < SEARCH_DAYS; i++) {
      const dayMs = day0.getTime() + i * DAY_MS;
      const day = new Date(dayMs);
      if (!this.matchesDay(day.getUTCMonth() + 1, day.getUTCDate(), day.getUTCDay())) continue;
      for (const h of this.hours) {
        for (const m of this.minutes) {
          if (i === 0 && h * 60 + m < firstMinuteOfDay) continue;
          for (const t of zone.instants(dayMs + h * 3_600_000 + m * MINUTE_MS)) {
            if (t > afterMs) return new Date(t);
          }
        }
      }
    }
    // Unreachable for schedules the constructor accepted; kept as a clear failure.
    throw new CronError(`${JSON.stringify(this.expression)} does not fire within 8 years`);
  }
}

/** Parses a schedule, throwing CronError with a precise message when it is invalid. */
export function parseCron(expression: string): CronSchedule {
  return new CronSchedule(expression);
}

/** The reason a schedule is invalid, or undefined when it is valid. */
export function cronError(expression: string): string | undefined {
  try {
    parseCron(expression);
    return undefined;
  } catch (err) {
    if (err instanceof CronError) return err.message;
    throw err;
  }
}

/** The next `count` firings strictly after `after`, in `timeZone` (default UTC). */
export function nextFirings(
  schedule: CronSchedule,
  after: Date,
  count: number,
  timeZone = 'UTC',
): Date[] {
  const out: Date[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    t = schedule.next(t, timeZone);
    out.push(t);
  }
  return out;
}

/** An instant as wall-clock time in a zone, with its UTC offset: "2024-03-31 03:00 +02:00". */
export function formatInZone(at: Date, timeZone = 'UTC'): string {
  const zone = zoneFor(timeZone);
  const ms = at.getTime();
  const wall = new Date(zone.wallMs(ms)).toISOString();
  const offsetMin = Math.round(zone.offset(ms) / MINUTE_MS);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${wall.slice(0, 10)} ${wall.slice(11, 16)} ${sign}${hh}:${mm}`;
}
