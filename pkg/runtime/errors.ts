// Errors of the Runtime interface. Each is a JobctlError (so edges can map its reason)
// with a `code` that says exactly what went wrong; the agent switches on `code`:
//
//   ImagePullFailed     the image could not be obtained       → Run Failed/ImagePullFailed
//   StartFailed         the container could not start          → Run Failed/Error
//   RuntimeUnavailable  the engine is unreachable               → Node RuntimeReady=False, retry
//   ContainerNotFound   no such container (removed, never made) → treat as gone
import { JobctlError, Reason } from '../util/errors.js';

export const RuntimeErrorCode = {
  ImagePullFailed: 'ImagePullFailed',
  StartFailed: 'StartFailed',
  RuntimeUnavailable: 'RuntimeUnavailable',
  ContainerNotFound: 'ContainerNotFound',
} as const;
export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

export abstract class RuntimeError extends JobctlError {
  abstract readonly code: RuntimeErrorCode;
}

/** The image is missing and could not be pulled; the message carries the engine's text. */
export class ImagePullFailedError extends RuntimeError {
  readonly code = RuntimeErrorCode.ImagePullFailed;
  constructor(
    readonly image: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(Reason.NotFound, message, options);
    this.name = 'ImagePullFailedError';
  }
}

/** The container was created (or the process spawned) but could not start. */
export class StartFailedError extends RuntimeError {
  readonly code = RuntimeErrorCode.StartFailed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(Reason.Invalid, message, options);
    this.name = 'StartFailedError';
  }
}

/** The engine (e.g. the Docker daemon) cannot be reached. Retry later. */
export class RuntimeUnavailableError extends RuntimeError {
  readonly code = RuntimeErrorCode.RuntimeUnavailable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(Reason.Unavailable, message, options);
    this.name = 'RuntimeUnavailableError';
  }
}

export class ContainerNotFoundError extends RuntimeError {
  readonly code = RuntimeErrorCode.ContainerNotFound;
  constructor(
    readonly containerId: string,
    options?: { cause?: unknown },
  ) {
    super(Reason.NotFound, `container ${containerId} not found`, options);
    this.name = 'ContainerNotFoundError';
  }
}

/** True if err is a RuntimeError with the given code. */
export function isRuntimeError(err: unknown, code: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && err.code === code;
}
