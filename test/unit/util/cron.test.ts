import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CronError,
  cronError,
  formatInZone,
  isValidTimeZone,
  nextFirings,
  parseCron,
} from '../../../pkg/util/cron.js';

describe('cron parsing', () => {
  const valid = [
    '* * * * *',
    '*/15 9-17 * * mon-fri',
    '0 0 1 jan *',
    '0 0 1 JAN-MAR,oct *',
    '@daily',
    '@hourly',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '@midnight',
    '0 0 * * 7',
    '5/10 * * * *',
    '0 0 29 2 *',
    '0 12 ? * SUN',
    '0,30 * * * *',
    '  0 0 * * *  ',
    '0-59/59 0-23/23 1-31/30 1-12/11 0-6/6',
  ];
  for (const s of valid)
    it(`accepts ${JSON.stringify(s)}`, () => assert.equal(cronError(s), undefined));

  const invalid: [string, string][] = [
    ['61 * * * *', 'minute 61 out of range 0-59'],
    ['* 24 * * *', 'hour 24 out of range 0-23'],
    ['* * 0 * *', 'day of month 0 out of range 1-31'],
    ['* * 32 * *', 'day of month 32 out of range 1-31'],
    ['* * * 13 *', 'month 13 out of range 1-12'],
    ['* * * * 8', 'day of week 8 out of range 0-7'],
    ['* * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['0 0 0 * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
    ['*/0 * * * *', 'minute step 0 out of range 1-60'],
    ['*/61 * * * *', 'minute step 61 out of range 1-60'],
    ['5-1 * * * *', 'minute range 5-1 is backwards (the start must not be after the end)'],
    ['x * * * *', 'minute "x" is not a number'],
    ['* * * foo *', 'month "foo" is not a number (use 1-12 or jan-dec)'],
    ['* * * * funday', 'day of week "funday" is not a number (use 0-7 or sun-sat)'],
    ['? * * * *', 'minute "?" is not a number'],
    ['1,,2 * * * *', 'minute field "1,,2" has an empty list item'],
    ['1-2-3 * * * *', 'minute "1-2-3" is not a valid range'],
    ['*/2/3 * * * *', 'minute "*/2/3" has more than one "/"'],
    ['@every 5m', 'unknown macro "@every 5m" (use @yearly, @monthly, @weekly, @daily or @hourly)'],
    ['TZ=UTC 0 0 * * *', 'put the time zone in spec.timeZone, not in the schedule'],
    ['', 'schedule is empty'],
    ['0 0 30 2 *', 'never fires: none of the selected months has any of the selected days'],
    ['0 0 31 apr,jun *', 'never fires: none of the selected months has any of the selected days'],
  ];
  for (const [s, message] of invalid) {
    it(`refuses ${JSON.stringify(s)}: ${message}`, () => {
      assert.equal(cronError(s), message);
      assert.throws(
        () => parseCron(s),
        (e: unknown) => e instanceof CronError && e.reason === 'Invalid',
      );
    });
  }
});

/** next() as an ISO string, for readable assertions. */
function next(schedule: string, after: string, tz?: string): string {
  return parseCron(schedule).next(new Date(after), tz).toISOString();
}

describe('cron next() in UTC', () => {
  const table: [string, string, string][] = [
    ['0 0 * * *', '2024-01-31T23:59:00Z', '2024-02-01T00:00:00.000Z'],
    ['0 0 * * *', '2024-02-28T12:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0 0 31 * *', '2024-04-15T00:00:00Z', '2024-05-31T00:00:00.000Z'],
    ['0 0 29 2 *', '2024-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 29 2 *', '2096-03-01T00:00:00Z', '2104-02-29T00:00:00.000Z'],
    ['*/15 * * * *', '2024-05-01T10:07:30Z', '2024-05-01T10:15:00.000Z'],
    ['*/15 * * * *', '2024-05-01T10:15:00Z', '2024-05-01T10:30:00.000Z'],
    ['*/15 * * * *', '2024-05-01T10:14:59.999Z', '2024-05-01T10:15:00.000Z'],
    ['0 9 * * mon-fri', '2024-05-31T10:00:00Z', '2024-06-03T09:00:00.000Z'],
    ['0 0 13 * fri', '2024-09-01T00:00:00Z', '2024-09-06T00:00:00.000Z'],
    ['0 0 1 1 *', '2024-06-01T00:00:00Z', '2025-01-01T00:00:00.000Z'],
    ['59 23 31 12 *', '2024-12-31T23:59:00Z', '2025-12-31T23:59:00.000Z'],
    ['@hourly', '2024-12-31T23:30:00Z', '2025-01-01T00:00:00.000Z'],
    ['0 0 * * 7', '2024-06-03T00:00:00Z', '2024-06-09T00:00:00.000Z'],
  ];
  for (const [s, after, want] of table) {
    it(`${s} after ${after} is ${want}`, () => assert.equal(next(s, after), want));
  }
});

describe('cron next() in time zones', () => {
  it('reads the schedule in the zone (winter and summer offsets)', () => {
    assert.equal(
      next('0 9 * * *', '2024-01-10T12:00:00Z', 'Europe/Berlin'),
      '2024-01-11T08:00:00.000Z',
    );
    assert.equal(
      next('0 9 * * *', '2024-07-10T12:00:00Z', 'Europe/Berlin'),
      '2024-07-11T07:00:00.000Z',
    );
    assert.equal(
      next('0 0 * * *', '2024-01-01T00:00:00Z', 'Asia/Kolkata'),
      '2024-01-01T18:30:00.000Z',
    );
  });

  it('fires a wall time skipped by spring-forward right after the jump, once', () => {
    // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00Z).
    const first = next('30 2 * * *', '2024-03-09T12:00:00Z', 'America/New_York');
    assert.equal(first, '2024-03-10T07:00:00.000Z');
    assert.equal(next('30 2 * * *', first, 'America/New_York'), '2024-03-11T06:30:00.000Z');
    // Two skipped times collapse into one firing.
    assert.equal(
      next('0,30 2 * * *', '2024-03-10T07:00:00Z', 'America/New_York'),
      '2024-03-11T06:00:00.000Z',
    );
    // Berlin, 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00Z).
    assert.equal(
      next('15 2 * * *', '2024-03-30T12:00:00Z', 'Europe/Berlin'),
      '2024-03-31T01:00:00.000Z',
    );
  });

  it('fires a wall time repeated by fall-back once, at its first occurrence', () => {
    // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST; 01:30 happens at 05:30Z and 06:30Z.
    const first = next('30 1 * * *', '2024-11-02T12:00:00Z', 'America/New_York');
    assert.equal(first, '2024-11-03T05:30:00.000Z');
    assert.equal(next('30 1 * * *', first, 'America/New_York'), '2024-11-04T06:30:00.000Z');
    // Starting inside the second 01:xx hour, later minutes of that hour still fire.
    assert.equal(
      next('*/20 * * * *', '2024-11-03T06:05:00Z', 'America/New_York'),
      '2024-11-03T06:20:00.000Z',
    );
    // Hourly jobs run at each distinct wall-clock hour.
    assert.equal(
      next('0 * * * *', '2024-11-03T05:30:00Z', 'America/New_York'),
      '2024-11-03T07:00:00.000Z',
    );
  });

  it('handles month ends in a zone ahead of UTC', () => {
    // Tokyo is UTC+9: its February starts at 2024-01-31T15:00Z and March at 2024-02-29T15:00Z.
    assert.equal(
      next('0 0 1 * *', '2024-01-31T14:59:59Z', 'Asia/Tokyo'),
      '2024-01-31T15:00:00.000Z',
    );
    assert.equal(
      next('0 0 1 * *', '2024-01-31T15:00:00Z', 'Asia/Tokyo'),
      '2024-02-29T15:00:00.000Z',
    );
  });

  it('validates time zones through Intl', () => {
    assert.ok(isValidTimeZone('UTC'));
    assert.ok(isValidTimeZone('Europe/Berlin'));
    assert.ok(!isValidTimeZone('Mars/Olympus'));
    assert.ok(!isValidTimeZone(''));
    assert.throws(() => parseCron('@daily').next(new Date(0), 'Nowhere/Land'), CronError);
  });
});

describe('cron nextFirings and formatInZone', () => {
  it('lists the next times and prints them as wall-clock time with the offset of that moment', () => {
    const s = parseCron('30 2 * * *');
    const times = nextFirings(s, new Date('2024-03-29T12:00:00Z'), 3, 'Europe/Berlin');
    assert.deepEqual(
      times.map((t) => formatInZone(t, 'Europe/Berlin')),
      ['2024-03-30 02:30 +01:00', '2024-03-31 03:00 +02:00', '2024-04-01 02:30 +02:00'],
    );
    assert.equal(formatInZone(new Date('2024-01-01T00:00:00Z')), '2024-01-01 00:00 +00:00');
    assert.equal(
      formatInZone(new Date('2024-01-01T00:00:00Z'), 'America/St_Johns'),
      '2023-12-31 20:30 -03:30',
    );
  });
});
