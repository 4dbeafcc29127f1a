// Content negotiation for reads: kubectl asks for a server-side Table with
//   Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json
// and takes the first form the server offers, in the order it listed them.
// Everything else (plain JSON, */*, aggregated discovery, protobuf) gets JSON
// objects: we never answer 406.
import type { Request } from 'express';
import { badRequest } from './status.js';
import { queryString } from './query.js';

/** What a Table row carries besides its cells (Kubernetes' includeObject). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** meta.k8s.io version asked for: the Table is the same in both. */
  readonly apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  readonly includeObject: IncludeObject;
}

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).toLowerCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((r) => r.type !== '');
}

const isJson = (r: MediaRange): boolean =>
  r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';

/** The Table version a media range asks for, when it asks for one we serve. */
function tableVersion(r: MediaRange): TableRequest['apiVersion'] | undefined {
  if (r.params.as !== 'Table' || r.params.g !== 'meta.k8s.io') return undefined;
  if (r.params.v === 'v1') return 'meta.k8s.io/v1';
  if (r.params.v === 'v1beta1') return 'meta.k8s.io/v1beta1';
  return undefined;
}

/** `includeObject=None|Metadata|Object` (default Metadata, as Kubernetes). */
function includeObject(req: Request): IncludeObject {
  const value = queryString(req, 'includeObject') ?? 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `query parameter "includeObject" must be None, Metadata or Object, not ${JSON.stringify(value)}`,
  );
}

/**
 * The Table the request asks for, or undefined for plain objects: the first
 * media range we can serve decides (a JSON Table, or plain JSON).
 */
export function tableRequested(req: Request): TableRequest | undefined {
  for (const range of parseAccept(req.headers.accept ?? '')) {
    const version = range.type === 'application/json' ? tableVersion(range) : undefined;
    if (version) return { apiVersion: version, includeObject: includeObject(req) };
    if (isJson(range) && range.params.as === undefined) return undefined;
  }
  return undefined;
}
