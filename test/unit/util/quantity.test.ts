import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatCpu,
  formatMemory,
  parseCpu,
  parseMemory,
  QuantityError,
} from '../../../pkg/util/quantity.js';

describe('parseCpu', () => {
  const good: [string | number, number][] = [
    ['500m', 500],
    ['1', 1000],
    ['0.5', 500],
    [2, 2000],
    [0.25, 250],
    ['1.5', 1500],
    ['.5', 500],
    ['+1', 1000],
    ['2000m', 2000],
    ['1e3', 1_000_000],
    ['1k', 1_000_000],
    ['0.001', 1],
    ['100', 100_000],
  ];
  for (const [input, want] of good) {
    it(`${JSON.stringify(input)} is ${want} millicores`, () => assert.equal(parseCpu(input), want));
  }
  const bad: [string | number, string][] = [
    ['', '"" is not a valid quantity (examples: 500m, 1, 0.5)'],
    ['abc', '"abc" is not a valid quantity (examples: 500m, 1, 0.5)'],
    ['1 m', '"1 m" is not a valid quantity (examples: 500m, 1, 0.5)'],
    ['500mi', '"500mi" is not a valid quantity (examples: 500m, 1, 0.5)'],
    ['1.2.3', '"1.2.3" is not a valid quantity (examples: 500m, 1, 0.5)'],
    ['-1', '"-1" must be greater than 0'],
    ['0', '"0" must be greater than 0'],
    ['0.0005', '"0.0005" is too precise: CPU is counted in whole millicores (1m = 0.001 CPU)'],
    ['1.5m', '"1.5m" is too precise: CPU is counted in whole millicores (1m = 0.001 CPU)'],
    ['1e999', '"1e999" is out of range'],
    ['9E', '"9E" is too large'],
    [Number.NaN, 'NaN is not a valid quantity'],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseCpu(input),
        (e: unknown) => e instanceof QuantityError && e.message === message,
      );
    });
  }
});

describe('parseMemory', () => {
  const good: [string | number, number][] = [
    ['256Mi', 268_435_456],
    ['1Gi', 1_073_741_824],
    ['128M', 128_000_000],
    ['1000000', 1_000_000],
    [1_000_000, 1_000_000],
    ['1.5Gi', 1_610_612_736],
    ['1e6', 1_000_000],
    ['2k', 2000],
    ['1Ki', 1024],
    ['0.5Ki', 512],
    ['1Ti', 2 ** 40],
  ];
  for (const [input, want] of good) {
    it(`${JSON.stringify(input)} is ${want} bytes`, () => assert.equal(parseMemory(input), want));
  }
  const bad: [string, string][] = [
    ['12 gigs', '"12 gigs" is not a valid quantity (examples: 256Mi, 1Gi)'],
    ['1Gb', '"1Gb" is not a valid quantity (examples: 256Mi, 1Gi)'],
    ['1gi', '"1gi" is not a valid quantity (examples: 256Mi, 1Gi)'],
    ['128m', '"128m" means 128 millibytes ("m" is milli); did you mean 128Mi or 128M?'],
    ['0.5', '"0.5" is not a whole number of bytes'],
    ['1.0001Ki', '"1.0001Ki" is not a whole number of bytes'],
    ['-1Gi', '"-1Gi" must be greater than 0'],
    ['0', '"0" must be greater than 0'],
    ['9Ei', '"9Ei" is too large'],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseMemory(input),
        (e: unknown) => e instanceof QuantityError && e.message === message,
      );
    });
  }
});

describe('formatCpu / formatMemory', () => {
  it('formats canonical CPU strings', () => {
    assert.deepEqual([500, 1000, 2500, 1, 64000].map(formatCpu), [
      '500m',
      '1',
      '2500m',
      '1m',
      '64',
    ]);
  });
  it('formats memory as the shortest exact spelling', () => {
    const table: [number, string][] = [
      [268_435_456, '256Mi'],
      [128_000_000, '128M'],
      [1_000_000, '1M'],
      [1500, '1500'],
      [1024, '1Ki'],
      [0, '0'],
      [1_073_741_824, '1Gi'],
      [1_610_612_736, '1536Mi'],
    ];
    for (const [bytes, want] of table) assert.equal(formatMemory(bytes), want, String(bytes));
  });
  it('refuses non-integers', () => {
    assert.throws(() => formatCpu(1.5), QuantityError);
    assert.throws(() => formatMemory(0.5), QuantityError);
  });
  it('round-trips any value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        assert.equal(parseMemory(formatMemory(n)), n);
        assert.equal(parseCpu(formatCpu(n)), n);
      }),
    );
  });
  it('never throws anything but QuantityError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const parse of [parseCpu, parseMemory]) {
          try {
            const n = parse(s);
            assert.ok(Number.isSafeInteger(n) && n > 0);
          } catch (e) {
            assert.ok(e instanceof QuantityError, String(e));
          }
        }
      }),
    );
  });
});
