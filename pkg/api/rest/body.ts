// Request bodies: read raw (bounded, so an oversized upload gets 413 before it
// is buffered), then decoded by Content-Type as JSON or YAML into one object.
// YAML goes through the manifest parser, which refuses alias bombs, duplicate
// keys and custom tags.
import express, { type Request, type RequestHandler } from 'express';
import { parseManifests } from '../validation/index.js';
import { HttpError, HttpReason, badRequest } from './status.js';

/** Media types whose bodies are JSON. */
const JSON_TYPES = new Set(['application/json', 'application/apply-patch+json']);
/** Media types whose bodies are YAML. */
const YAML_TYPES = new Set([
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/apply-patch+yaml',
]);
/** The media types of server-side apply (PATCH). */
export const APPLY_PATCH_TYPES: ReadonlySet<string> = new Set([
  'application/apply-patch+yaml',
  'application/apply-patch+json',
]);

/** Buffers any request body up to `limit` bytes into req.body (a Buffer); over the limit: 413. */
export function rawBody(limit: number): RequestHandler {
  return express.raw({ type: () => true, limit });
}

/** The request's media type without parameters, lower-cased ('' when absent). */
export function mediaType(req: Request): string {
  const header = req.headers['content-type'] ?? '';
  return (header.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** The buffered body, or undefined when the request had none. */
function bodyBytes(req: Request): Buffer | undefined {
  const body: unknown = req.body;
  return Buffer.isBuffer(body) && body.length > 0 ? body : undefined;
}

/** True when the request carried a non-empty body. */
export function hasBody(req: Request): boolean {
  return bodyBytes(req) !== undefined;
}

/**
 * The body as one JSON object. `allowed` narrows the accepted media types
 * (e.g. PATCH takes only apply patches); anything else gets 415.
 */
export function decodeObject(req: Request, allowed?: ReadonlySet<string>): Record<string, unknown> {
  const type = mediaType(req);
  const isJson = JSON_TYPES.has(type);
  const isYaml = YAML_TYPES.has(type);
  if ((!isJson && !isYaml) || (allowed && !allowed.has(type))) {
    const accepted = allowed ? [...allowed] : [...JSON_TYPES, ...YAML_TYPES];
    throw new HttpError(
      HttpReason.UnsupportedMediaType,
      `unsupported Content-Type "${type || '(none)'}"; send one of ${accepted.join(', ')}`,
    );
  }
  const bytes = bodyBytes(req);
  if (!bytes) throw badRequest('the request needs a body: one object as JSON or YAML');
  return isJson ? decodeJson(bytes) : decodeYaml(bytes);
}

function decodeJson(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw badRequest(
      `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function decodeYaml(bytes: Buffer): Record<string, unknown> {
  const { manifests, errors } = parseManifests(bytes, 'request body');
  if (errors.length > 0) throw badRequest(`request body is not valid YAML: ${errors.join('; ')}`);
  const [first, ...more] = manifests;
  if (!first) throw badRequest('request body holds no object');
  if (more.length > 0) {
    throw badRequest(`request body holds ${manifests.length} objects; send one object per request`);
  }
  return first.object;
}
