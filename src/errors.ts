// One error type for the whole app. `code` comes from the catalogue below;
// `permanent` tells retry logic whether trying again can help.

export const ERROR_CODES = [
  "CONFIG_INVALID",
  "DATABASE_UNAVAILABLE",
  "MIGRATION_FAILED",
  "INVALID_EMAIL",
  "INVALID_TOPIC",
  "INVALID_DATE",
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "SUPPRESSED",
  "UNSUPPORTED_MEDIA_TYPE",
  "SOURCE_UNAVAILABLE",
  "SOURCE_MALFORMED",
  "EMBEDDINGS_UNAVAILABLE",
  "EMBEDDINGS_MALFORMED",
  "TEMPLATE_INVALID",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
  "CSRF_INVALID",
  "UNAUTHORIZED",
  "RATE_LIMITED",
  "RECIPIENT_REJECTED",
  "RELAY_REJECTED",
  "MESSAGE_REJECTED",
  "SMTP_TEMPORARY",
  "SMTP_UNAVAILABLE",
  "SMTP_OUTCOME_UNKNOWN",
  "SEND_FAILED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly permanent: boolean;
  /** The input field the error is about, when there is one. */
  readonly field?: string;
  /** Every invalid field with its message, when a whole form was checked. */
  readonly fields?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { permanent?: boolean; cause?: unknown; field?: string; fields?: Record<string, string> } = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.permanent = options.permanent ?? true;
    this.field = options.field ?? Object.keys(options.fields ?? {})[0];
    this.fields = options.fields;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}

/** A message safe to show for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
