/**
 * The errors the service raises on purpose, each with a stable `code` clients can branch on. Stack traces
 * are not captured: these are expected outcomes, and some sit on the hot path.
 */
import createError from '@fastify/error'

/** Base class that marks an error as the service's own, so its code and message reach the client. */
export class ServiceError extends Error {
  details?: ErrorDetail[]
  /** Seconds after which the client may try again: sent as the Retry-After header. */
  retryAfter?: number
}

export interface ErrorDetail {
  /** JSON pointer into the request part, e.g. `/password`. */
  path: string
  message: string
}

function define<C extends string, SC extends number> (code: C, message: string, statusCode: SC) {
  return createError(code, message, statusCode, ServiceError as ErrorConstructor, false)
}

export const ValidationFailed = define('VALIDATION_ERROR', '%s', 400)
export const InvalidCredentials = define('INVALID_CREDENTIALS', 'Invalid email, username or password', 401)
export const MissingToken = define(
  'UNAUTHORIZED', 'Missing or malformed Authorization header; send "Authorization: Bearer <access token>"', 401
)
export const InvalidToken = define('INVALID_TOKEN', 'The access token is invalid, expired or revoked', 401)
export const LogoutUnidentified = define(
  'UNAUTHORIZED',
  'No session to end: send a valid Bearer access token, or the refresh token as { "refreshToken": "…" }',
  401
)
export const InvalidRefreshToken = define(
  'INVALID_REFRESH_TOKEN', 'The refresh token is invalid, expired, or of a session that has ended', 401
)
const RefreshTokenReusedError = define(
  'REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been ended to protect the account', 401
)
/** A spent refresh token came back after the grace window; names the session it ended, for the audit trail. */
export function RefreshTokenReused (
  sessionId: string, userId: string
): ServiceError & { sessionId: string, userId: string } {
  return Object.assign(new RefreshTokenReusedError() as ServiceError, { sessionId, userId })
}
/** No refresh token in the body, and no refresh cookie either. */
export const MissingRefreshToken = define(
  'UNAUTHORIZED',
  'No refresh token: send { "refreshToken": "…" }, or, from this service\'s own pages, the refresh cookie',
  401
)
/** The refresh cookie came with a request from another origin: refused, whatever the cookie. */
export const CrossSiteRequest = define(
  'CROSS_SITE_REQUEST',
  'The session cookie is accepted only from this service\'s own pages (the Origin header must be this service\'s)',
  403
)
export const Forbidden = define('FORBIDDEN', 'This needs the %s role', 403)
export const CannotModifySelf = define(
  'CANNOT_MODIFY_SELF', 'An admin cannot %s their own account; ask another admin', 409
)
export const RoleNotAllowed = define(
  'ROLE_NOT_ALLOWED', 'The role "%s" cannot be chosen at signup; allowed roles: %s', 403
)
export const NotFound = define('NOT_FOUND', '%s not found', 404)
/** Wrong, expired, used and unknown codes and links all get this one answer: it tells nothing about which. */
export const InvalidCode = define('INVALID_CODE', 'The code or link is invalid, expired or already used', 400)
/** EMAIL_VERIFICATION=required: the right password of an account whose address is not yet proven. */
export const EmailNotVerified = define(
  'EMAIL_NOT_VERIFIED', 'Verify your email address first: follow the link or enter the code we sent you', 403
)
/** A new password found in the list of common and breached ones, or made of the account's own details. */
export const PasswordTooCommon = define(
  'PASSWORD_TOO_COMMON',
  'This password is too common or too easy to guess (%s); choose a longer or less predictable one',
  400
)
/** A second-factor code that is wrong, spent or replayed, at sign-in. */
export const InvalidSecondFactor = define('INVALID_CODE', 'The code is wrong, expired or already used', 401)
/** A second-factor code that is wrong, on a signed-in user's own two-factor settings. */
export const WrongSecondFactor = define('INVALID_CODE', 'The code is wrong, expired or already used', 400)
export const InvalidMfaToken = define(
  'INVALID_MFA_TOKEN', 'The sign-in attempt has expired or ended; log in again with your password', 401
)
/** Step-up: an operation of an account with two-factor on, from a session that has not proven the second factor. */
export const MfaRequired = define(
  'MFA_REQUIRED', 'This needs a session signed in with your second factor: %s', 403
)
export const MfaConflict = define('MFA_CONFLICT', '%s', 409)
/** A sealed TOTP secret that the key cannot open (ENCRYPTION_KEY changed): the operator's to fix, so logged. */
export const SecretUnreadable = define(
  'MFA_UNAVAILABLE', 'Two-factor sign-in cannot be checked for this account just now; contact support', 503
)
/** A passkey sign-in that did not verify: unknown passkey, spent or foreign challenge, wrong origin, bad signature. */
export const InvalidPasskey = define(
  'INVALID_PASSKEY', 'The passkey could not be verified; try again, or sign in another way', 401
)
/** A new passkey that did not verify, on the signed-in user's own settings (`%s` says why). */
export const PasskeyRejected = define('INVALID_PASSKEY', 'The passkey could not be added: %s', 400)
export const PasskeyLimit = define('PASSKEY_LIMIT', 'An account may hold at most %s passkeys; delete one first', 409)
/** Passkeys need a relying party on a domain: PUBLIC_URL names an IP address and WEBAUTHN_RP_ID is not set. */
export const PasskeysUnavailable = define(
  'PASSKEYS_UNAVAILABLE', 'Passkeys are not set up on this service (it has no domain name to bind them to)', 503
)
export const EmailTaken = define('EMAIL_TAKEN', 'An account with this email already exists', 409)
export const UsernameTaken = define('USERNAME_TAKEN', 'This username is already taken', 409)
/** An error that tells the client when to come back: the seconds are in the message and in Retry-After. */
function defineRetryable (code: string, message: string, statusCode = 429) {
  const ErrorClass = define(code, message, statusCode)
  return function retryable (seconds: number): ServiceError {
    const error: ServiceError = new ErrorClass(seconds)
    error.retryAfter = seconds
    return error
  }
}

/** The wait of a throttled login identifier. */
export const TooManyAttempts = defineRetryable(
  'TOO_MANY_ATTEMPTS', 'Too many failed attempts for this account; retry in %s seconds'
)
/** The service-wide signup cap is reached: everyone waits. */
export const SignupCapacityReached = defineRetryable(
  'SIGNUP_CAPACITY_REACHED', 'The service is taking no more new accounts just now; retry in %s seconds'
)
/** Every hashing thread is busy and HASH_QUEUE_MAX jobs already wait: the request is shed at once. */
export const Overloaded = defineRetryable('OVERLOADED', 'The service is busy; retry in %s seconds', 503)
/** Behind a trusted proxy, X-Forwarded-For named something that is not an address. */
export const InvalidForwardedFor = define('INVALID_FORWARDED_FOR', 'X-Forwarded-For must name IP addresses', 400)
export const RateLimited = define('RATE_LIMITED', 'Too many requests; retry in %s', 429)
export const DatabaseUnavailable = define('SERVICE_UNAVAILABLE', 'The database is not reachable', 503)
/** The app has begun closing: the request is refused with `Connection: close`, so a balancer sends it elsewhere. */
export const ShuttingDown = define(
  'SERVICE_UNAVAILABLE', 'This instance is shutting down; send the request again to reach another', 503
)
/** GET /health/ready: the instance should get no traffic; the message names what failed (`%s`). */
export const NotReady = define('NOT_READY', 'Not ready: %s', 503)
/** Redis did not answer: limits cannot be checked, so the request is refused rather than let through. */
export const StoreUnavailable = define(
  'SERVICE_UNAVAILABLE', 'The shared limits store is not reachable; retry shortly', 503
)

/** A 400 raised by a service for a rule JSON Schema cannot express; shaped like schema validation errors. */
export function invalidInput (details: ErrorDetail[]): ServiceError {
  const error: ServiceError = new ValidationFailed(
    details.map(detail => `${detail.path} ${detail.message}`).join('; ')
  )
  error.details = details
  return error
}
