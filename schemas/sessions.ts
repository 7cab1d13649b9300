import { type Static, Type } from '@sinclair/typebox'
import { DateTime, NullableString, ref, Uuid } from './common.js'

export const RefreshToken = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'The `refreshToken` from register, login or the previous refresh.'
})

export const RefreshBody = Type.Object({
  refreshToken: Type.Optional(RefreshToken)
}, {
  additionalProperties: false,
  description: '`refreshToken`; in cookie mode (browser pages), an empty object and the refresh cookie.',
  examples: [{ refreshToken: 'paste the refreshToken from login here' }]
})
export type RefreshBody = Static<typeof RefreshBody>

export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'A new access token.' }),
  refreshToken: Type.Optional(Type.String({
    description: 'The refresh token to use next time; the one sent is now spent. ' +
      'Absent in cookie mode: the cookie holds the new one.'
  })),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires.', examples: [900] })
}, { description: 'Refreshed: use both new tokens from now on.' })
/** A new access token with its session's refresh token, as the services hand them out (a body may omit the latter). */
export type TokenPair = Required<Static<typeof TokenPair>>

export const LogoutBody = Type.Object({
  refreshToken: Type.Optional(RefreshToken),
  all: Type.Optional(Type.Boolean({ description: 'End every session of the user, on every device.' }))
}, {
  additionalProperties: false,
  description: 'Optional. The session is the one of the Bearer access token, ' +
    'or of `refreshToken` (or the refresh cookie) when the access token has expired.',
  examples: [{ all: false }]
})
export type LogoutBody = Static<typeof LogoutBody>

/** A confirmation, described for /docs by what it confirms. */
export function Message (description: string) {
  return Type.Object({ message: Type.String() }, { description })
}

export const SessionInfo = Type.Object({
  id: Uuid,
  createdAt: DateTime,
  lastUsedAt: DateTime,
  expiresAt: DateTime,
  userAgent: NullableString(),
  ip: NullableString(),
  current: Type.Boolean({ description: 'Whether this is the session of the access token used for this request.' })
}, { $id: 'SessionInfo', title: 'SessionInfo' })
export type SessionInfo = Static<typeof SessionInfo>

export const SessionList = Type.Object({
  sessions: Type.Array(ref(SessionInfo))
}, { description: 'Your live sessions, most recently used first.' })

export const SessionParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export type SessionParams = Static<typeof SessionParams>
