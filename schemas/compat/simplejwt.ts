/** The Django REST framework + simplejwt API (COMPAT_PROFILE=simplejwt), as its clients call it. */
import { type Static, Type } from '@sinclair/typebox'
import { LegacyUsername, NewPassword, Password, Username } from '../common.js'
import { LegacyBody, LegacyNewEmail } from './common.js'

const EXAMPLE = 'correct horse battery staple'
const Token = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description })

export const DjangoRegisterBody = (passwordMinLength: number) => LegacyBody({
  username: Username,
  email: LegacyNewEmail,
  password: NewPassword(passwordMinLength)
}, { examples: [{ username: 'example', email: 'example@mail.com', password: EXAMPLE }] })
export type DjangoRegisterBody = Static<ReturnType<typeof DjangoRegisterBody>>

export const DjangoLoginBody = LegacyBody({ username: LegacyUsername, password: Password }, {
  examples: [{ username: 'example', password: EXAMPLE }]
})
export type DjangoLoginBody = Static<typeof DjangoLoginBody>

export const DjangoVerifyBody = LegacyBody({ token: Token('An access token.') })
export const DjangoRefreshBody = LegacyBody({ refresh: Token('The refresh token of the login or of the last refresh.') })
export const DjangoLogoutBody = LegacyBody({
  refresh_token: Type.Optional(Token('The session\'s refresh token; the Bearer token\'s session ends in any case.'))
})

export const DjangoRegisterReply = Type.Object({
  message: Type.Literal('User registered successfully'),
  user: Type.Object({ username: Type.String(), email: Type.String() })
}, { description: 'The account is created; the client logs in next.' })

export const DjangoTokens = Type.Object({
  access: Type.String({ description: 'A JWT; send it as `Authorization: Bearer <access>`.' }),
  refresh: Type.String({ description: 'Keeps the session alive; it rotates at each refresh (ROTATE_REFRESH_TOKENS).' })
}, { description: 'A new pair: a refresh token sent to refresh is then spent.' })

export const DjangoEmpty = Type.Object({}, { additionalProperties: false, description: 'The token is valid.' })

/** DRF's errors: `{ "field": ["message"] }` for a validation failure, `{ detail, code? }` otherwise. */
export const DjangoError = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), {
  description: 'A validation failure is `{ "field": ["message", …] }`; any other error `{ "detail": "…" }`, with ' +
    '`"code": "token_not_valid"` for a bad token.',
  examples: [{ detail: 'Token is invalid or expired', code: 'token_not_valid' }]
})
