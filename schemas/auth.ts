import { type Static, Type } from '@sinclair/typebox'
import {
  ACCESS_TOKEN_MAX_LENGTH, Count, Email, Metadata, Name, NewEmail, NewPassword, Password, ref, Role, Username, Uuid
} from './common.js'
import { REFRESH_TOKEN_MAX_LENGTH, type TokenPair } from './sessions.js'
import { User } from './user.js'

const EXAMPLE_PASSWORD = 'correct horse battery staple'

/** The flag of browser clients: the refresh token then goes into an HttpOnly cookie, not the body. */
export const CookieMode = Type.Boolean({
  description: 'For browser pages: `true` sets the refresh token as an `HttpOnly; Secure; SameSite=Strict` ' +
    'cookie sent only to ' +
    'the refresh and logout paths, and leaves it out of the body, so scripts never see it. ' +
    'Mobile and server clients leave it out.'
})

/** The body of `POST /auth/register`; the password minimum comes from `PASSWORD_MIN_LENGTH`. */
export function RegisterBody (passwordMinLength: number) {
  return Type.Object({
    email: NewEmail,
    password: NewPassword(passwordMinLength),
    confirmPassword: Type.Optional(
      Type.String({ maxLength: 72, description: 'When present, must equal `password`.' })
    ),
    username: Type.Optional(Username),
    name: Type.Optional(Name),
    role: Type.Optional(Type.String({
      ...Role, description: 'One of the roles in `SIGNUP_ROLES` (default `user`); `admin` is never allowed.'
    })),
    metadata: Type.Optional(Metadata),
    cookie: Type.Optional(CookieMode)
  }, {
    additionalProperties: false,
    examples: [{
      email: 'grace@example.com',
      password: EXAMPLE_PASSWORD,
      confirmPassword: EXAMPLE_PASSWORD,
      username: 'grace_h',
      name: 'Grace Hopper'
    }]
  })
}
export type RegisterBody = Static<ReturnType<typeof RegisterBody>>

export const LoginBody = Type.Object({
  email: Type.Optional(Email),
  username: Type.Optional(Username),
  password: Password,
  cookie: Type.Optional(CookieMode)
}, {
  additionalProperties: false,
  // Exactly one identifier: sending both would make it ambiguous which account is meant.
  oneOf: [{ title: 'by email', required: ['email'] }, { title: 'by username', required: ['username'] }],
  description: '`password` plus exactly one of `email` or `username`.',
  examples: [{ email: 'grace@example.com', password: EXAMPLE_PASSWORD }]
})
export type LoginBody = Static<typeof LoginBody>

const tokenFields = {
  accessToken: Type.String({
    maxLength: ACCESS_TOKEN_MAX_LENGTH,
    description: 'A JWT (`typ: at+jwt`); send it as `Authorization: Bearer <accessToken>`.'
  }),
  refreshToken: Type.Optional(Type.String({
    maxLength: REFRESH_TOKEN_MAX_LENGTH,
    description: 'An opaque secret that keeps the session alive; store it safely. ' +
      'Absent in cookie mode, where it is in the cookie instead.'
  })),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Count({ description: 'Seconds until the access token expires.', examples: [900] })
}

export const RegisterReply = Type.Object({
  message: Type.Literal('User registered successfully'),
  user: ref(User),
  ...tokenFields,
  accessToken: Type.Optional(tokenFields.accessToken),
  tokenType: Type.Optional(tokenFields.tokenType),
  expiresIn: Type.Optional(tokenFields.expiresIn)
}, {
  description: 'Registered and signed in; with EMAIL_VERIFICATION=required, registered only (no tokens): ' +
    'log in once the address is verified.'
})

export const LoginReply = Type.Object({
  user: ref(User),
  ...tokenFields
}, { description: 'Signed in: a new session.' })

/** RFC 8176 authentication method references. */
export const Amr = Type.Array(Type.String({ maxLength: 16 }), {
  maxItems: 8,
  description: 'How the session was signed in (RFC 8176): `pwd` a password, `otp` a one-time code (an ' +
    'authenticator app or a recovery code), `mfa` more than one factor. Kept across refreshes; a session that ' +
    'turns two-factor on gains `otp` and `mfa` from its next refresh. Tokens issued before this claim existed ' +
    'have none: read that as `["pwd"]`.',
  examples: [['pwd', 'otp', 'mfa']]
})

export const AccessTokenClaims = Type.Object({
  sub: Uuid,
  role: Role,
  sid: Type.String({ maxLength: 36, description: 'The session this token belongs to.' }),
  amr: Type.Optional(Amr),
  jti: Type.String({ maxLength: 36 }),
  iat: Count({ description: 'When the token was issued, in seconds since 1970.' }),
  exp: Count({ description: 'When the token expires, in seconds since 1970.' }),
  // JWT_ISSUER and JWT_AUDIENCE are at most 256 characters.
  iss: Type.Optional(Type.String({ maxLength: 256 })),
  aud: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1 })]))
}, { $id: 'AccessTokenClaims', title: 'AccessTokenClaims' })
export type AccessTokenClaims = Static<typeof AccessTokenClaims>
/** The claims this service puts in a token; the signer adds `iat`, `exp`, `iss` and `aud`. */
export type AccessClaims = Pick<AccessTokenClaims, 'sub' | 'role' | 'sid' | 'jti'> & { amr: string[] }

/** A signed-in user with a new session's tokens: the answer of signup and login. */
export type AuthResult = TokenPair & { user: User }

export const VerifyBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: ACCESS_TOKEN_MAX_LENGTH, description: 'An access token.' })
}, { additionalProperties: false, examples: [{ token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9…' }] })
export type VerifyBody = Static<typeof VerifyBody>

export const VerifyReply = Type.Object({
  valid: Type.Literal(true),
  payload: ref(AccessTokenClaims)
}, { description: 'The token is valid and its session live.' })

/** The body of `PATCH /auth/password`; the new password follows `PASSWORD_MIN_LENGTH`. */
export function PasswordChangeBody (passwordMinLength: number) {
  return Type.Object({
    currentPassword: Password,
    newPassword: NewPassword(passwordMinLength),
    confirmNewPassword: Type.Optional(
      Type.String({ maxLength: 72, description: 'When present, must equal `newPassword`.' })
    )
  }, {
    additionalProperties: false,
    examples: [{
      currentPassword: EXAMPLE_PASSWORD,
      newPassword: 'a brand new passphrase',
      confirmNewPassword: 'a brand new passphrase'
    }]
  })
}
export type PasswordChangeBody = Static<ReturnType<typeof PasswordChangeBody>>

export const ProfileChangeBody = Type.Object({
  name: Type.Optional(Type.Union([Name, Type.Null()], { description: 'A display name, or null to clear it.' })),
  username: Type.Optional(
    Type.Union([Username, Type.Null()], { description: 'A new username, or null to clear it.' })
  ),
  metadata: Type.Optional(Metadata)
}, {
  additionalProperties: false,
  minProperties: 1,
  description: 'Any of `name`, `username` and `metadata` (which replaces the whole object); ' +
    'the email and the role cannot be changed here.',
  examples: [{ name: 'Grace B. Hopper' }]
})
export type ProfileChangeBody = Static<typeof ProfileChangeBody>
