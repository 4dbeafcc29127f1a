// Errors on the wire, Kubernetes style: every failed REST call answers with a
// Status object whose `reason` is the JobctlError reason (NotFound, Conflict,
// ...) or, for problems the HTTP layer itself finds, BadRequest,
// RequestEntityTooLarge, UnsupportedMediaType or MethodNotAllowed. This module
// is the one place that maps reasons to HTTP codes (STYLE habit 5), and back
// (errorFromStatus, for HTTP clients such as the dashboard or tests).
import { JobctlError, Reason } from '../../util/errors.js';
import { ManifestInvalidError } from '../validation/index.js';

/** Reasons only the HTTP layer produces (the request itself is unusable). */
export const HttpReason = {
  BadRequest: 'BadRequest',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  MethodNotAllowed: 'MethodNotAllowed',
} as const;
export type HttpReason = (typeof HttpReason)[keyof typeof HttpReason];

/** The body of every error response (and of a watch's ERROR event). */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: StatusDetails;
}

/** Kubernetes' StatusDetails, the parts we fill in. */
export interface StatusDetails {
  readonly retryAfterSeconds?: number;
  /** What the answer is about: a resource (jobs) or, for Invalid, a kind (Job). */
  readonly kind?: string;
  readonly group?: string;
  readonly name?: string;
  /** One per field problem of an Invalid answer (field: a path such as spec.completions). */
  readonly causes?: readonly StatusCause[];
}

export interface StatusCause {
  readonly reason: 'FieldValueInvalid';
  readonly message: string;
  /** '' when the problem is the whole object. */
  readonly field: string;
}

/** HTTP status of each JobctlError reason. */
export const REASON_HTTP_CODES: Readonly<Record<Reason, number>> = {
  [Reason.NotFound]: 404,
  [Reason.AlreadyExists]: 409,
  [Reason.Conflict]: 409,
  [Reason.Invalid]: 422,
  [Reason.BadRequest]: 400,
  [Reason.Unauthorized]: 401,
  [Reason.Forbidden]: 403,
  [Reason.Unavailable]: 503,
  [Reason.TooManyRequests]: 429,
  [Reason.Timeout]: 504,
  [Reason.Gone]: 410,
  [Reason.Internal]: 500,
};

const HTTP_REASON_CODES: Readonly<Record<HttpReason, number>> = {
  [HttpReason.BadRequest]: 400,
  [HttpReason.RequestEntityTooLarge]: 413,
  [HttpReason.UnsupportedMediaType]: 415,
  [HttpReason.MethodNotAllowed]: 405,
};

/** Seconds a client should wait before retrying a TooManyRequests answer. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** A problem with the HTTP request itself (bad query, body, media type, method). */
export class HttpError extends Error {
  readonly reason: HttpReason;
  readonly code: number;

  constructor(reason: HttpReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.reason = reason;
    this.code = HTTP_REASON_CODES[reason];
  }
}

/** Shorthand for the most common HttpError. */
export function badRequest(message: string): HttpError {
  return new HttpError(HttpReason.BadRequest, message);
}

export function newStatus(code: number, reason: string, message: string): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason,
    code,
  };
  return reason === Reason.TooManyRequests
    ? { ...status, details: { retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS } }
    : status;
}

/**
 * Errors thrown by body parsing and routing in express (http-errors, or the
 * router's URIError for an undecodable path): a 4xx `status` whose message is
 * not marked private (`expose: false`) is safe to show.
 */
interface ClientHttpError {
  readonly status: number;
  readonly expose?: boolean;
  readonly message: string;
}

function isClientHttpError(err: unknown): err is ClientHttpError {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { status?: unknown; expose?: unknown };
  return typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose !== false;
}

function reasonOfHttpCode(code: number): string {
  switch (code) {
    case 413:
      return HttpReason.RequestEntityTooLarge;
    case 415:
      return HttpReason.UnsupportedMediaType;
    case 405:
      return HttpReason.MethodNotAllowed;
    case 404:
      return Reason.NotFound;
    default:
      return HttpReason.BadRequest;
  }
}

/** The object a request was about, for the details of its Status (group, resource, name). */
export interface StatusSubject {
  readonly group: string;
  /** The resource, as Kubernetes names it in details: 'jobs'. */
  readonly kind: string;
  readonly name?: string;
}

/** The subject of a request to a resource URL. */
export function subjectOf(target: {
  readonly info: { readonly plural: string; readonly apiVersion: string };
  readonly name?: string;
}): StatusSubject {
  return {
    group: target.info.apiVersion.split('/')[0] ?? '',
    kind: target.info.plural,
    ...(target.name !== undefined ? { name: target.name } : {}),
  };
}

/** Reasons whose Status names the object in its details, as Kubernetes' do. */
const ABOUT_AN_OBJECT: ReadonlySet<string> = new Set([
  Reason.NotFound,
  Reason.AlreadyExists,
  Reason.Conflict,
]);

/**
 * Kubernetes spells a too-old resourceVersion (our Gone) as reason Expired;
 * client-go's reflectors relist on it.
 */
const WIRE_REASONS: Readonly<Partial<Record<Reason, string>>> = { [Reason.Gone]: 'Expired' };

/**
 * The Status for anything thrown, its details naming `subject` when the
 * reason is about one object. `internal` is true when the error is not one
 * we expect (a bug): its message is not shown to the client, and the caller
 * should log it with its stack.
 */
export function statusOf(
  err: unknown,
  subject?: StatusSubject,
): { status: Status; internal: boolean } {
  const result = statusOfError(err);
  const { status } = result;
  if (err instanceof ManifestInvalidError && subject) {
    return {
      ...result,
      status: { ...status, details: { ...status.details, group: subject.group } },
    };
  }
  if (subject && ABOUT_AN_OBJECT.has(status.reason)) {
    return { ...result, status: { ...status, details: { ...status.details, ...subject } } };
  }
  return result;
}

function statusOfError(err: unknown): { status: Status; internal: boolean } {
  if (err instanceof ManifestInvalidError) {
    // Field paths travel as causes, so a form can show each error at its field.
    const status = newStatus(422, err.reason, err.message);
    const causes = err.errors.map((e): StatusCause => ({
      reason: 'FieldValueInvalid',
      message: e.message,
      field: e.path,
    }));
    return {
      status: { ...status, details: { kind: err.kind, name: err.objectName, causes } },
      internal: false,
    };
  }
  if (err instanceof JobctlError) {
    const code = REASON_HTTP_CODES[err.reason] ?? 500;
    const reason = WIRE_REASONS[err.reason] ?? err.reason;
    return { status: newStatus(code, reason, err.message), internal: code === 500 };
  }
  if (err instanceof HttpError) {
    return { status: newStatus(err.code, err.reason, err.message), internal: false };
  }
  if (isClientHttpError(err)) {
    return {
      status: newStatus(err.status, reasonOfHttpCode(err.status), err.message),
      internal: false,
    };
  }
  return {
    status: newStatus(500, Reason.Internal, 'internal error (details are in the server log)'),
    internal: true,
  };
}

/** True for a value shaped like a Status (e.g. a parsed error response body). */
export function isStatus(value: unknown): value is Status {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Status>;
  return v.kind === 'Status' && typeof v.code === 'number' && typeof v.message === 'string';
}

const REASONS = new Set<string>(Object.values(Reason));

/**
 * The JobctlError a client should raise for a Status it received. HTTP-layer
 * reasons (BadRequest, ...) become Invalid, since the request was unusable.
 */
export function errorFromStatus(status: Status): JobctlError {
  const reason = REASONS.has(status.reason)
    ? (status.reason as Reason)
    : status.reason === 'Expired'
      ? Reason.Gone
      : status.code === 413 || status.code === 400 || status.code === 415
        ? Reason.Invalid
        : status.code === 404 || status.code === 405
          ? Reason.NotFound
          : Reason.Internal;
  return new JobctlError(reason, status.message);
}
