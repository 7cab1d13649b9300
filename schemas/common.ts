/** Shared schema primitives: every string bounded and every object closed, so nothing unbounded gets in. */
import { type SchemaOptions, type Static, type TSchema, Type } from '@sinclair/typebox'

/** A reference to a schema registered with `addSchema`, typed as the schema: a named component in /docs. */
export function ref<T extends TSchema> (schema: T, options: SchemaOptions = {}) {
  if (schema.$id === undefined) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, options))
}

/** Body fields that hold passwords, in any route: normalized before validation, never logged. */
export const PASSWORD_FIELDS = [
  'password', 'confirmPassword', 'currentPassword', 'newPassword', 'confirmNewPassword',
  // The InsightED profile's confirmation.
  'password2'
] as const

/** Body fields that hold tokens: never logged. */
export const TOKEN_FIELDS = [
  'accessToken', 'refreshToken', 'token',
  // The compatibility profiles' names for them.
  'access', 'refresh', 'access_token', 'refresh_token',
  // The second factor's.
  'mfaToken', 'recoveryCode', 'recoveryCodes', 'secret', 'otpauthUrl', 'qrCode'
] as const

/** bcrypt reads at most 72 bytes of a password; longer ones are refused, never truncated. */
export const PASSWORD_MAX_BYTES = 72

/**
 * Surrounding whitespace is allowed (autocomplete and paste add it) and trimmed by the service.
 * The pattern is linear: each part is a disjoint character class, so it cannot backtrack badly.
 */
export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: "^\\s*[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+\\s*$",
  'x-error': 'must be a valid email address',
  description: 'Email address; trimmed and compared case-insensitively.',
  examples: ['grace@example.com']
})

/** A local part's character (WHATWG's "valid email address"), and a domain label: letters, digits, inner hyphens. */
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'

/**
 * An email being registered: WHATWG's grammar, with dots only between the local part's words (as in
 * RFC 5322) and a domain of two labels or more. Logging in keeps `Email`, so that an account made under
 * the older rule can still sign in. Linear: dots are outside every repeated class.
 */
export const NewEmail = Type.String({
  ...Email,
  pattern: `^\\s*${LOCAL}(?:\\.${LOCAL})*@${LABEL}(?:\\.${LABEL})+\\s*$`,
  description: 'Email address (letters, digits and `.!#$%&\'*+/=?^_`{|}~-` before the @, no leading, trailing or ' +
    'double dot; a domain of labels that do not begin or end with a hyphen); trimmed and compared case-insensitively.'
})

export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[\\p{L}\\p{N}_.-][\\p{L}\\p{M}\\p{N}_.-]*$',
  'x-error': 'may contain only letters, digits, _, . and -',
  description: '3–32 letters (with their combining marks), digits, `_`, `.` or `-`; ' +
    'compared case-insensitively after NFKC normalization. No invisible characters, no mix of look-alike scripts ' +
    '(Latin with Cyrillic or Greek), and a name that looks like a taken one is taken.',
  examples: ['grace_h']
})

/**
 * A username chosen in an older system, as Django allowed them: 1–150 letters, digits and `@.+-_`.
 * Imported as it is, and accepted at sign-in by the compatibility profiles; new names follow `Username`.
 */
export const LegacyUsername = Type.String({
  minLength: 1,
  maxLength: 150,
  pattern: '^[\\p{L}\\p{M}\\p{N}_.@+-]+$',
  'x-error': 'may contain only letters, digits and @ . + - _',
  description: 'The username, as registered here or in the older API.'
})

/**
 * An unpaired surrogate cannot be stored as UTF-8 (SQLite would keep U+FFFD), so two different inputs
 * would become one stored value. Checked by a keyword of the service's validator (`x-well-formed`), not by a
 * pattern: `\\p{Cs}` or a surrogate range means that only to a regex engine in Unicode mode, and JSON Schema
 * tools, code generators and OpenAPI validators do not all read patterns so.
 */
const WELL_FORMED = {
  'x-well-formed': true, 'x-error': 'must be well-formed Unicode (no unpaired surrogates)'
} as const

/** The control characters (Unicode's Cc): C0, DEL and C1, as a class every regex dialect reads. */
export const CONTROL_CHARACTERS = '\\u0000-\\u001F\\u007F-\\u009F'

/** Stored or searched text: well-formed, and without NUL, which PostgreSQL's text cannot hold. */
export const STORABLE = {
  pattern: '^[^\\u0000]*$', 'x-well-formed': true, 'x-error': 'must be well-formed Unicode without NUL characters'
} as const

/** A password being set: the minimum length comes from `PASSWORD_MIN_LENGTH`. */
export function NewPassword (minLength: number) {
  return Type.String({
    minLength,
    maxLength: PASSWORD_MAX_BYTES,
    'x-max-utf8-bytes': PASSWORD_MAX_BYTES,
    ...WELL_FORMED,
    description: `At least ${minLength} characters and at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 ` +
      '(bcrypt\'s limit). Unicode-normalized (NFC) before hashing.',
    examples: ['correct horse battery staple']
  })
}

/** A password being checked: no minimum, so accounts made under an older policy can still log in. */
export const Password = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_BYTES,
  'x-max-utf8-bytes': PASSWORD_MAX_BYTES,
  ...WELL_FORMED,
  examples: ['correct horse battery staple']
})

export const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: `^[^${CONTROL_CHARACTERS}]+$`,
  'x-well-formed': true,
  'x-error': 'must not contain control characters or unpaired surrogates',
  description: 'Display name; no control characters.',
  examples: ['Grace Hopper']
})

/** Roles a user can hold; also the shape of each entry of `SIGNUP_ROLES`. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/
export const ADMIN_ROLE = 'admin'

export const Role = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: ROLE_PATTERN.source,
  'x-error': 'must be lowercase letters, digits, _ or -, starting with a letter',
  examples: ['user']
})

const MetadataScalar = Type.Union([
  Type.String({ maxLength: 500, ...STORABLE }), Type.Number(), Type.Boolean(), Type.Null()
])

export const Metadata = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  Type.Union([MetadataScalar, Type.Array(MetadataScalar, { maxItems: 20 })], {
    'x-error': 'must be a string (at most 500 characters), number, boolean, null, or a list of up to 20 of these'
  }),
  {
    additionalProperties: false,
    maxProperties: 20,
    description: 'A small JSON object of your own: up to 20 keys of `[A-Za-z0-9_.-]{1,64}`, ' +
      'each a string (≤ 500), number, boolean, null or a list of up to 20 of these.',
    examples: [{ expertise: 'databases', yearsOfExperience: 5 }]
  }
)

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 })

/** A client's user agent as stored: cut to this length (`USER_AGENT_MAX` in src/sessions/client.ts, tested equal). */
export const USER_AGENT_MAX_LENGTH = 512

/** A client's IP address as the service saw it (IPv6 at most 45 characters). */
export const IP_MAX_LENGTH = 64

/** An access token as clients send and receive it: a JWT, however long its claims and signature make it. */
export const ACCESS_TOKEN_MAX_LENGTH = 4096

/** A count or a number of seconds in an answer: never negative, and within JavaScript's safe integers. */
export function Count (options: SchemaOptions = {}) {
  return Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...options })
}

/**
 * A response text that may be null. A type list, not a union: the serializer then needs no validation
 * to pick a branch, and a stored value can never fail to serialize.
 */
export function NullableString (options: SchemaOptions = {}) {
  return Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] })
}

/** A time as the service writes it (`toISOString()`: 24 characters, 27 past the year 9999). */
export const DateTime = Type.String({ format: 'date-time', maxLength: 32 })

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ format: 'int32', minimum: 400, maximum: 599, description: 'The HTTP status, repeated.' }),
  code: Type.String({
    maxLength: 64,
    description: 'Stable machine-readable code: see each status’s description, ' +
      'e.g. VALIDATION_ERROR, INVALID_CREDENTIALS, EMAIL_TAKEN.'
  }),
  error: Type.String({ maxLength: 64, description: 'The HTTP status text.' }),
  // A message may quote part of the request (a path, a field's name): no longer than the largest body.
  message: Type.String({ maxLength: 16384, description: 'What went wrong, for people.' }),
  details: Type.Optional(Type.Array(Type.Object({
    path: Type.String({ maxLength: 16384, description: 'JSON pointer to the offending value, e.g. /email.' }),
    message: Type.String({ maxLength: 1024 })
  }), {
    // Validation stops at the first error (allErrors is off), so one entry in practice.
    maxItems: 100,
    description: 'One entry per invalid value (validation errors only).'
  }))
}, { $id: 'ErrorResponse', title: 'ErrorResponse', description: 'The shape of every error the service returns.' })

export type ErrorBody = Static<typeof ErrorResponse>

/**
 * A compatibility profile's error shape: the common error, as the older API answered it (its status and body).
 * Set as a route's `config.presentError`; the error handler applies it to every error of the route.
 */
export type ErrorPresenter = (error: ErrorBody) => { statusCode: number, body: unknown }

/** Response schemas for error statuses, all in the common error shape, each with its reason for /docs. */
export function errors (reasons: Record<number, string>) {
  const responses: Record<number, ReturnType<typeof ref<typeof ErrorResponse>>> = {}
  for (const [status, description] of Object.entries(reasons)) {
    responses[Number(status)] = ref(ErrorResponse, { description })
  }
  return responses
}

/** The errors any route with a JSON body can answer before its handler runs. */
export const BODY_ERRORS = {
  400: 'The body is not valid JSON or does not match the schema (see `details`).',
  413: 'The body is larger than the limit.',
  415: 'The body is not `application/json`.'
}

/** Why a route that sets a new password answers 400, besides the body's form. */
export const TOO_COMMON_REASON = 'Or the new password is too common or too easy to guess: listed, built from the ' +
  'account\'s details, or known from a breach (code PASSWORD_TOO_COMMON; `message` says which).'

/** The body errors of a route that sets a new password. */
export const NEW_PASSWORD_BODY_ERRORS = { ...BODY_ERRORS, 400: `${BODY_ERRORS[400]} ${TOO_COMMON_REASON}` }

/** The OpenAPI security requirement of a route behind the auth guard. */
export const BEARER_SECURITY = [{ bearerAuth: [] }]

/** The OpenAPI security requirement of the admin API: the same guard, and an admin's token. */
export const ADMIN_SECURITY = [{ adminBearerAuth: [] }]

/** The /docs tag of the older names of operations (/auth/signup, …), so the main list shows each operation once. */
export const ALIASES_TAG = 'aliases'

/** An alias's summary in /docs: what it does, and the operation it is another name of. */
export function aliasSummary (summary: string, method: string, path: string): string {
  return `${summary} (alias of ${method} ${path})`
}

/** Why a route behind the auth guard answers 401. */
export const UNAUTHORIZED_REASON = 'No access token, or one that is invalid, expired or of a session that has ended.'

/** Why a step-up route answers 403: an account with two-factor on, from a session that has not proven it. */
export const STEP_UP_REASON = 'Two-factor is on and this session has not proven it (code MFA_REQUIRED): refresh ' +
  'the tokens if this session has just turned it on, or sign in again with a code.'

/** The answer of a route that hashes a password, when the hashing threads are saturated. */
export const OVERLOADED = {
  503: 'The password-hashing threads are saturated (code OVERLOADED): the request was turned away at once, ' +
    'without being counted or queued; retry after `Retry-After` seconds.'
}

/** The errors every route can answer: the per-client rate limit and an unexpected failure. */
export const COMMON_ERRORS = {
  429: 'Too many requests from this client; retry after the `Retry-After` header’s seconds.',
  500: 'Unexpected failure; the detail is in the server log under the request id.'
}
