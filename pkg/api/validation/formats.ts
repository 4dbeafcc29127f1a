// String formats and quantity checks used by the schemas ("format": "image",
// "quantity": "memory", ...). Each has a predicate for ajv and a message function
// for people: ajv only says a format failed, so the message is recomputed here from
// the offending value, which lets it say exactly what is wrong.

import { cronError, isValidTimeZone } from '../../util/cron.js';
import { formatMemory, parseCpu, parseMemory, QuantityError } from '../../util/quantity.js';

export interface Format {
  readonly validate: (value: string) => boolean;
  /** Why `value` is invalid; `field` is the last path segment (e.g. "namespace"). */
  readonly message: (value: string, field: string) => string;
}

const q = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const GENERATE_NAME = /^[a-z0-9][-a-z0-9]*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const USER = /^(\d{1,10})(?::(\d{1,10}))?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

// Docker image references, after github.com/distribution/reference's grammar:
// [domain[:port]/]path-component(/path-component)*[:tag][@digest].
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const IMAGE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$',
);

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isLabelKey(s: string): boolean {
  const slash = s.lastIndexOf('/');
  const name = slash < 0 ? s : s.slice(slash + 1);
  if (name.length > 63 || !LABEL_NAME.test(name)) return false;
  if (slash < 0) return true;
  const prefix = s.slice(0, slash);
  return prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix);
}

export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && LABEL_NAME.test(s));
}

const nameMessage = (v: string, field: string): string =>
  `${q(v)} is not a valid ${field === 'namespace' ? 'namespace' : 'name'}: must be a lowercase DNS-1123 label (a-z, 0-9, '-', max 63 characters)`;

export const FORMATS: Readonly<Record<string, Format>> = {
  'dns1123-label': { validate: isDns1123Label, message: nameMessage },
  'dns1123-label-or-empty': {
    validate: (s) => s === '' || isDns1123Label(s),
    message: nameMessage,
  },
  'generate-name': {
    validate: (s) => s.length <= 58 && GENERATE_NAME.test(s),
    message: (v) =>
      `${q(v)} is not a valid generateName: must be lowercase letters, digits and '-', starting with a letter or digit, max 58 characters`,
  },
  'label-key': {
    validate: isLabelKey,
    message: (v) =>
      `${q(v)} is not a valid key: must be NAME or PREFIX/NAME, where NAME is at most 63 characters of a-z, A-Z, 0-9, '-', '_', '.' starting and ending with a letter or digit, and PREFIX is a lowercase DNS subdomain of at most 253 characters`,
  },
  'label-value': {
    validate: isLabelValue,
    message: (v) =>
      `${q(v)} is not a valid label value: must be empty or at most 63 characters of a-z, A-Z, 0-9, '-', '_', '.' starting and ending with a letter or digit`,
  },
  image: {
    validate: (s) => s.length <= 1024 && IMAGE.test(s),
    message: (v) =>
      `${q(v)} is not a valid image reference (examples: busybox:latest, registry.example.com/team/app:1.2; repository names are lowercase)`,
  },
  'absolute-path': {
    validate: (s) => s.startsWith('/') && s.length <= 4096 && !s.includes('\0'),
    message: (v) => `${q(v)} is not an absolute path (must start with "/")`,
  },
  'env-name': {
    validate: (s) => s.length <= 1024 && ENV_NAME.test(s),
    message: (v) =>
      `${q(v)} is not a valid environment variable name: must be letters, digits, '_', '-' and '.', not starting with a digit`,
  },
  user: {
    validate: (s) => {
      const m = USER.exec(s);
      return m !== null && Number(m[1]) <= 2 ** 31 - 1 && Number(m[2] ?? 0) <= 2 ** 31 - 1;
    },
    message: (v) =>
      `${q(v)} is not a valid user: must be a numeric UID or UID:GID (e.g. 65534:65534)`,
  },
  'date-time': {
    validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
    message: (v) => `${q(v)} is not an RFC 3339 timestamp (e.g. 2024-01-02T15:04:05Z)`,
  },
  cron: {
    validate: (s) => cronError(s) === undefined,
    message: (v) => `${q(v)}: ${cronError(v) ?? 'invalid schedule'}`,
  },
  'time-zone': {
    validate: isValidTimeZone,
    message: (v) =>
      `${q(v)} is not a known IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`,
  },
};

// Docker refuses memory limits below 6 MiB.
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** Distinct quantities whose verdict is remembered per kind; beyond that the memory starts afresh. */
const QUANTITY_VERDICTS = 1024;
const verdicts = new Map<string, Map<string, string>>();

/**
 * Why a cpu/memory quantity is invalid, or undefined. `kind` is the schema's
 * "quantity" value. The verdict is remembered per value: every write is
 * validated, nearly every object names the same few quantities ("500m",
 * "256Mi"), and the exact (BigInt) parse was the largest self time of
 * admission in a profile of 64 writers (normalize.ts remembers its
 * canonical forms the same way). A number and a string are told apart, as
 * the messages quote them differently.
 */
export function quantityError(kind: string, value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined; // "type" reports it
  let memo = verdicts.get(kind);
  if (!memo) verdicts.set(kind, (memo = new Map()));
  const key = `${typeof value === 'number' ? 'n' : 's'}${value}`;
  const known = memo.get(key);
  if (known !== undefined) return known === '' ? undefined : known;
  const verdict = quantityVerdict(kind, value);
  if (memo.size >= QUANTITY_VERDICTS) memo.clear();
  memo.set(key, verdict ?? '');
  return verdict;
}

function quantityVerdict(kind: string, value: string | number): string | undefined {
  try {
    if (kind === 'cpu') {
      parseCpu(value);
    } else {
      const bytes = parseMemory(value);
      if (bytes < MIN_MEMORY_BYTES) {
        return `${JSON.stringify(value)} is below the minimum of ${formatMemory(MIN_MEMORY_BYTES)} (Docker refuses smaller memory limits)`;
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof QuantityError) return err.message;
    throw err;
  }
}
