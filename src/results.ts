/**
 * The result conventions of API.md: every operation answers a union of an
 * `<Operation>Ok` type and error types, all implementing AuthResult (status),
 * errors also AuthError (status, message). Services return plain status values
 * (`{ status: "WRONG_CREDENTIALS_ERROR" }`); `toResult` turns them into the
 * union member: OK values pass through, error statuses become instances of the
 * error class registered for that status, which @pothos/plugin-errors resolves
 * to the member type. Overrides may also throw GeneralError or InvalidInputError.
 */

/** Every error status, with its GraphQL type's extra fields and default message. */
export const ERROR_STATUSES = {
  GENERAL_ERROR: { message: "Something went wrong", fields: {} },
  INVALID_INPUT_ERROR: { message: "Invalid input", fields: {} },
  UNAUTHORISED: { message: "Sign in again: no valid session", fields: {} },
  TOKEN_THEFT_DETECTED: { message: "This refresh token was already used; the session has been revoked", fields: {} },
  UNKNOWN_SESSION_ERROR: { message: "No such session", fields: {} },
  ELEVATION_REQUIRED: { message: "Authenticate again to do this", fields: { factors: "[AuthFactor]" } },
  WRONG_CREDENTIALS_ERROR: { message: "Wrong email or password", fields: {} },
  EMAIL_ALREADY_EXISTS_ERROR: { message: "This email is already in use", fields: {} },
  EMAIL_NOT_VERIFIED_ERROR: { message: "Verify your email address before signing in", fields: {} },
  EMAIL_ALREADY_VERIFIED_ERROR: { message: "This email address is already verified", fields: {} },
  USER_DISABLED_ERROR: { message: "This account is disabled", fields: {} },
  LIMIT_REACHED_ERROR: { message: "Too many attempts; try again later", fields: { retryAfterMs: "Int" } },
  SIGN_UP_NOT_ALLOWED: { message: "Sign-up is not allowed", fields: { reason: "String" } },
  FORBIDDEN_ANONYMOUS: { message: "Anonymous users cannot do this; make the account permanent first (deanonymizeUser)", fields: {} },
  USER_NOT_ANONYMOUS_ERROR: { message: "This user is not anonymous", fields: {} },
  RESET_PASSWORD_INVALID_TOKEN_ERROR: { message: "This password reset link is invalid or has expired", fields: {} },
  EMAIL_VERIFICATION_INVALID_TOKEN_ERROR: { message: "This verification link is invalid or has expired", fields: {} },
  INCORRECT_USER_INPUT_CODE_ERROR: {
    message: "This code is not right",
    fields: { failedCodeInputAttemptCount: "Int", maximumCodeInputAttempts: "Int" },
  },
  EXPIRED_USER_INPUT_CODE_ERROR: {
    message: "This code has expired; ask for a new one",
    fields: { failedCodeInputAttemptCount: "Int", maximumCodeInputAttempts: "Int" },
  },
  RESTART_FLOW_ERROR: { message: "Start again: ask for a new code", fields: {} },
  DEVICE_ALREADY_EXISTS_ERROR: { message: "A device with this name already exists", fields: {} },
  UNKNOWN_DEVICE_ERROR: { message: "No such device", fields: {} },
  UNKNOWN_USER_ID_ERROR: { message: "This user has no verified TOTP device", fields: {} },
  INVALID_TICKET_ERROR: { message: "This sign-in ticket is invalid or has expired; sign in again", fields: {} },
  INVALID_RECOVERY_CODE_ERROR: { message: "This recovery code is not right or was used already", fields: {} },
  INVALID_PERSONAL_ACCESS_TOKEN_ERROR: { message: "This personal access token is invalid, expired or revoked", fields: {} },
  INVALID_TOTP_ERROR: {
    message: "This code is not right",
    fields: { currentNumberOfFailedAttempts: "Int", maxNumberOfFailedAttempts: "Int" },
  },
  INVALID_CREDENTIAL_ERROR: { message: "This passkey response could not be verified", fields: {} },
  INVALID_CHALLENGE_ERROR: { message: "This passkey challenge is unknown, used or expired; start again", fields: {} },
  UNKNOWN_CREDENTIAL_ERROR: { message: "This passkey is not registered here", fields: {} },
  INVALID_STATE_ERROR: { message: "This sign-in is invalid, used or expired (state); start again", fields: {} },
  NO_EMAIL_GIVEN_BY_PROVIDER: { message: "The provider did not share an email address for this account", fields: {} },
  FIELD_ERROR: { message: "Signing in with the provider failed", fields: { error: "String" } },
  PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR: { message: "This provider account is linked to another user", fields: {} },
  SIGN_IN_UP_NOT_ALLOWED: { message: "Signing in or up this way is not allowed", fields: { reason: "String" } },
  UNKNOWN_IDENTITY_ERROR: { message: "No such provider identity on this account", fields: {} },
  LAST_SIGN_IN_METHOD_ERROR: { message: "This is the account's only way to sign in: add another one first", fields: {} },
} as const satisfies Record<string, { message: string; fields: Record<string, ErrorFieldType> }>;

/** The GraphQL type of an error's extra field ("[String]": a non-null list of strings). */
export type ErrorFieldType = "Int" | "String" | "Boolean" | "[String]" | "[AuthFactor]";

export type ErrorStatus = keyof typeof ERROR_STATUSES;
/** Statuses that are not errors: done, or one more step (a second factor). */
export const PROGRESS_STATUSES = ["OK", "MFA_REQUIRED", "MFA_ENROLMENT_REQUIRED"] as const;
export type AuthStatus = (typeof PROGRESS_STATUSES)[number] | ErrorStatus;

/** Base of every error member. `details` carries the type's extra fields (retryAfterMs, reason...). */
export class AuthFailure extends Error {
  constructor(
    readonly status: ErrorStatus,
    message?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message ?? ERROR_STATUSES[status].message);
  }
}

/** Thrown or returned by overrides and hooks to show the end user a message. */
export class GeneralError extends AuthFailure {
  constructor(message: string) {
    super("GENERAL_ERROR", message);
  }
}

export interface FieldError {
  id: string;
  error: string;
}

/** Input GraphQL's types cannot catch: malformed email, password policy, bad redirect. */
export class InvalidInputError extends AuthFailure {
  constructor(readonly fieldErrors: FieldError[]) {
    super("INVALID_INPUT_ERROR", fieldErrors.map((field) => `${field.id}: ${field.error}`).join("; "));
  }
}

/** `WRONG_CREDENTIALS_ERROR` -> `WrongCredentialsError`; `UNAUTHORISED` -> `UnauthorisedError`. */
export function errorTypeName(status: ErrorStatus): string {
  const pascal = status.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
  return pascal.endsWith("Error") ? pascal : `${pascal}Error`;
}

type FailureClass = new (message?: string, details?: Record<string, unknown>) => AuthFailure;

function failureClass(status: ErrorStatus): FailureClass {
  const cls = class extends AuthFailure {
    constructor(message?: string, details?: Record<string, unknown>) {
      super(status, message, details);
    }
  };
  Object.defineProperty(cls, "name", { value: errorTypeName(status) });
  return cls;
}

/** One class per status, so the errors plugin can tell members apart by instanceof. */
export const FAILURE_CLASSES: Record<ErrorStatus, FailureClass> = Object.fromEntries(
  (Object.keys(ERROR_STATUSES) as ErrorStatus[]).map((status) => [
    status,
    status === "GENERAL_ERROR"
      ? (GeneralError as unknown as FailureClass)
      : status === "INVALID_INPUT_ERROR"
        ? (InvalidInputError as unknown as FailureClass)
        : failureClass(status),
  ]),
) as Record<ErrorStatus, FailureClass>;

/** What a recipe API answers: its OK shape, or any error status. */
export type ApiResult<Ok> = Promise<({ status: "OK" } & Ok) | ({ status: ErrorStatus; message?: string } & Record<string, unknown>)>;

export type MfaRequiredValue = { status: "MFA_REQUIRED"; ticket: string; factors: string[] };
export type MfaEnrolmentRequiredValue = { status: "MFA_ENROLMENT_REQUIRED"; ticket: string; factors: string[] };

/** What a first-factor sign-in API answers: a session, a second factor to pass (or to enrol first), or an error. */
export type SignInApiResult<Ok> = Promise<
  ({ status: "OK" } & Ok) | MfaRequiredValue | MfaEnrolmentRequiredValue | ({ status: ErrorStatus; message?: string } & Record<string, unknown>)
>;

/** Inputs of operations scoped to a tenant. */
export type TenantInput = { tenantId: string };

function failure(value: { status: ErrorStatus; message?: string } & Record<string, unknown>): AuthFailure {
  if (value instanceof AuthFailure) return value;
  const { status, message, ...details } = value;
  if (status === "INVALID_INPUT_ERROR") return new InvalidInputError((details.fieldErrors as FieldError[]) ?? []);
  if (status === "GENERAL_ERROR") return new GeneralError(message ?? ERROR_STATUSES.GENERAL_ERROR.message);
  return new FAILURE_CLASSES[status](message, details);
}

/** Maps a service's status value onto the union member it stands for. */
export function toResult<T extends { status: string }>(value: T): Extract<T, { status: (typeof PROGRESS_STATUSES)[number] }> | AuthFailure {
  if ((PROGRESS_STATUSES as readonly string[]).includes(value.status)) return value as Extract<T, { status: (typeof PROGRESS_STATUSES)[number] }>;
  return failure(value as unknown as { status: ErrorStatus });
}
