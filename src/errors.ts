// Typed errors with a stable `code`. The HTTP mapping lives in one place (api/app.ts onError);
// the worker maps `retryable` onto BullMQ's retry vs UnrecoverableError.

export interface AppErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export abstract class AppError extends Error {
  abstract readonly code: string;
  /** Retrying the same task later may succeed (infrastructure), or never will (task error). */
  readonly retryable: boolean = false;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Request input that fails validation; `field` names the offending path. */
export class ValidationError extends AppError {
  readonly code = 'validation_failed';
}

export class UnauthorizedError extends AppError {
  readonly code = 'unauthorized';
}

/** Authenticated, but the token's scopes do not allow this (403). */
export class ForbiddenError extends AppError {
  readonly code = 'forbidden';
}

/** The caller must slow down (429): a rate limit or a full queue; retry after `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  readonly code = 'too_many_requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options: AppErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** We cannot take this now (503), e.g. the webhook cap is reached; GitHub redelivers later. */
export class OverloadedError extends AppError {
  readonly code = 'overloaded';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options: AppErrorOptions = {},
  ) {
    super(message, options);
  }
}

export class NotFoundError extends AppError {
  readonly code = 'not_found';
}

/** The request conflicts with the resource's state, e.g. cancelling a finished task. */
export class ConflictError extends AppError {
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'unsupported_media_type';
}

/** Configuration that cannot work; raised at startup. */
export class ConfigError extends AppError {
  readonly code = 'config_invalid';
}

/**
 * A failure that belongs to the task itself (bad repository URL, unknown ref, a command that
 * cannot be reproduced). Never retried.
 */
export class TaskError extends AppError {
  readonly code: string;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** A failure of our infrastructure (Redis, Kubernetes API, a sandbox that never started). Retried. */
export class InfrastructureError extends AppError {
  override readonly retryable = true;
  readonly code: string;
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/**
 * No room to run the task right now (a ResourceQuota said "exceeded quota", the API server
 * throttled us). The task waits and tries again later without spending an attempt.
 */
export class CapacityError extends InfrastructureError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options: AppErrorOptions = {},
  ) {
    super('sandbox_capacity', message, options);
  }
}

/** The task was cancelled by a client while it ran. */
export class CancelledError extends AppError {
  readonly code = 'cancelled';
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
