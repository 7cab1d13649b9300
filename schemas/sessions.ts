import { type Static, Type } from '@sinclair/typebox'
import {
  ACCESS_TOKEN_MAX_LENGTH, Count, DateTime, IP_MAX_LENGTH, NullableString, ref, USER_AGENT_MAX_LENGTH, Uuid
} from './common.js'

export const REFRESH_TOKEN_MAX_LENGTH = 512

export const RefreshToken = Type.String({
  minLength: 1,
  maxLength: REFRESH_TOKEN_MAX_LENGTH,
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
  accessToken: Type.String({ maxLength: ACCESS_TOKEN_MAX_LENGTH, description: 'A new access token.' }),
  refreshToken: Type.Optional(Type.String({
    maxLength: REFRESH_TOKEN_MAX_LENGTH,
    description: 'The refresh token to use next time; the one sent is now spent. ' +
      'Absent in cookie mode: the cookie holds the new one.'
  })),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Count({ description: 'Seconds until the access token expires.', examples: [900] })
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
  return Type.Object({ message: Type.String({ maxLength: 200 }) }, { description })
}

export const SessionInfo = Type.Object({
  id: Uuid,
  createdAt: DateTime,
  lastUsedAt: DateTime,
  expiresAt: DateTime,
  userAgent: NullableString({ maxLength: USER_AGENT_MAX_LENGTH }),
  ip: NullableString({ maxLength: IP_MAX_LENGTH }),
  current: Type.Boolean({ description: 'Whether this is the session of the access token used for this request.' })
}, { $id: 'SessionInfo', title: 'SessionInfo' })
export type SessionInfo = Static<typeof SessionInfo>

export const SessionList = Type.Object({
  // Not capped: as many as the user has signed in (.spectral.yaml says so beside its override).
  sessions: Type.Array(ref(SessionInfo))
}, { description: 'Your live sessions, most recently used first.' })

export const SessionParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export type SessionParams = Static<typeof SessionParams>
