// Kubernetes-style resource quantities ("500m", "1", "0.5", "256Mi", "1Gi", "128M").
//
// CPU is counted in millicores and memory in bytes, both as plain integers, so the
// scheduler can add and compare them without floating-point drift. Parsing is exact
// (BigInt arithmetic over the decimal digits), so "0.1" + "0.2" cores is 300m, not
// 300.00000000000006m.
//
// Grammar (as in Kubernetes' resource.Quantity):
//   quantity ::= [+-] number suffix
//   number   ::= digits | digits "." digits? | "." digits
//   suffix   ::= "" | "m" | "k" | "M" | "G" | "T" | "P" | "E"     (powers of 1000; m = 1/1000)
//              | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"            (powers of 1024)
//              | ("e" | "E") [+-] digits                           (decimal exponent)
// The "n" and "u" suffixes are deliberately not accepted: nothing here is that small.

import { JobctlError, Reason } from './errors.js';

/** A quantity that cannot be parsed, or that is out of range for its resource. */
export class QuantityError extends JobctlError {
  constructor(message: string) {
    super(Reason.Invalid, message);
    this.name = 'QuantityError';
  }
}

export const CPU_EXAMPLES = '500m, 1, 0.5';
export const MEMORY_EXAMPLES = '256Mi, 1Gi';

// Quantities larger than this cannot be held exactly in a JS number.
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// Exponents beyond this are refused before any BigInt is built, so "1e999999999"
// cannot make the parser allocate a gigantic number.
const MAX_EXPONENT = 30;

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  '': 0,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = {
  Ki: 1,
  Mi: 2,
  Gi: 3,
  Ti: 4,
  Pi: 5,
  Ei: 6,
};

const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)(?:([eE])([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])?)$/;

/** An exact rational value: numerator / denominator, denominator > 0. */
interface Exact {
  readonly num: bigint;
  readonly den: bigint;
  /** The suffix as written, e.g. "m" or "Mi" ("" for none). */
  readonly suffix: string;
}

function parseExact(input: string, examples: string): Exact {
  const m = QUANTITY_RE.exec(input);
  if (m === null) {
    throw new QuantityError(
      `${JSON.stringify(input)} is not a valid quantity (examples: ${examples})`,
    );
  }
  const [, sign = '', number = '', expMark, expDigits, suffix = ''] = m;
  const [intPart = '', fracPart = ''] = number.split('.');
  let pow10 = -fracPart.length;
  let pow1024 = 0;
  if (expMark !== undefined) {
    const exp = Number(expDigits);
    if (Math.abs(exp) > MAX_EXPONENT) {
      throw new QuantityError(`${JSON.stringify(input)} is out of range`);
    }
    pow10 += exp;
  } else if (suffix in BINARY_SUFFIX) {
    pow1024 = BINARY_SUFFIX[suffix] ?? 0;
  } else {
    pow10 += DECIMAL_SUFFIX[suffix] ?? 0;
  }
  let num = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  if (sign === '-') num = -num;
  let den = 1n;
  if (pow10 >= 0) num *= 10n ** BigInt(pow10);
  else den = 10n ** BigInt(-pow10);
  num *= 1024n ** BigInt(pow1024);
  return { num, den, suffix: expMark !== undefined ? 'e' : suffix };
}

function toInput(value: string | number): string {
  // YAML turns `cpu: 1` and `cpu: 0.5` into numbers; they mean the same as the strings.
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QuantityError(`${value} is not a valid quantity`);
    return String(value);
  }
  return value;
}

/**
 * Parses a CPU quantity to whole millicores: "500m" → 500, "1" → 1000, "0.5" → 500,
 * 2 → 2000. Throws QuantityError for malformed, non-positive or sub-millicore values.
 */
export function parseCpu(value: string | number): number {
  const input = toInput(value);
  const q = parseExact(input, CPU_EXAMPLES);
  const milli = q.num * 1000n;
  if (milli % q.den !== 0n) {
    throw new QuantityError(
      `${JSON.stringify(input)} is too precise: CPU is counted in whole millicores (1m = 0.001 CPU)`,
    );
  }
  const result = milli / q.den;
  if (result <= 0n) throw new QuantityError(`${JSON.stringify(input)} must be greater than 0`);
  if (result > MAX_SAFE) throw new QuantityError(`${JSON.stringify(input)} is too large`);
  return Number(result);
}

/**
 * Parses a memory quantity to bytes: "256Mi" → 268435456, "128M" → 128000000,
 * "1000000" → 1000000. Throws QuantityError for malformed, non-positive or fractional
 * byte counts, and for the "m" (milli) suffix, which is almost always a typo for Mi.
 */
export function parseMemory(value: string | number): number {
  const input = toInput(value);
  const q = parseExact(input, MEMORY_EXAMPLES);
  if (q.suffix === 'm') {
    const n = input.slice(0, -1);
    throw new QuantityError(
      `${JSON.stringify(input)} means ${n} millibytes ("m" is milli); did you mean ${n}Mi or ${n}M?`,
    );
  }
  if (q.num % q.den !== 0n) {
    throw new QuantityError(`${JSON.stringify(input)} is not a whole number of bytes`);
  }
  const result = q.num / q.den;
  if (result <= 0n) throw new QuantityError(`${JSON.stringify(input)} must be greater than 0`);
  if (result > MAX_SAFE) throw new QuantityError(`${JSON.stringify(input)} is too large`);
  return Number(result);
}

/** Canonical CPU string: whole cores without a suffix ("2"), otherwise millicores ("1500m"). */
export function formatCpu(millicores: number): string {
  if (!Number.isSafeInteger(millicores))
    throw new QuantityError(`${millicores} is not a whole number of millicores`);
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/**
 * Canonical memory string: the shortest exact spelling, preferring binary suffixes on
 * a tie, so 268435456 → "256Mi", 128000000 → "128M", 1500 → "1500".
 */
export function formatMemory(bytes: number): string {
  if (!Number.isSafeInteger(bytes))
    throw new QuantityError(`${bytes} is not a whole number of bytes`);
  let best = String(bytes);
  if (bytes === 0) return best;
  const candidates: string[] = [];
  for (const [suffix, power] of Object.entries(BINARY_SUFFIX)) {
    const unit = 1024 ** power;
    if (bytes % unit === 0) candidates.push(`${bytes / unit}${suffix}`);
  }
  for (const [suffix, power] of Object.entries(DECIMAL_SUFFIX)) {
    if (power <= 0) continue;
    const unit = 10 ** power;
    if (bytes % unit === 0) candidates.push(`${bytes / unit}${suffix}`);
  }
  for (const c of candidates)
    if (c.length < best.length || (c.length === best.length && /i$/.test(c))) best = c;
  return best;
}
