/** The Flask-JWT API (COMPAT_PROFILE=flask), as its clients call it. */
import { type Static, Type } from '@sinclair/typebox'
import { Name, NewPassword, NullableString, Password, Uuid } from '../common.js'
import { LegacyBody, LegacyEmail, LegacyNewEmail } from './common.js'

const EXAMPLE = 'correct horse battery staple'

export const FlaskRegisterBody = (passwordMinLength: number) => LegacyBody({
  name: Name,
  email: LegacyNewEmail,
  password: NewPassword(passwordMinLength)
}, { examples: [{ name: 'test', email: 'test@gmail.com', password: EXAMPLE }] })
export type FlaskRegisterBody = Static<ReturnType<typeof FlaskRegisterBody>>

export const FlaskLoginBody = LegacyBody({ email: LegacyEmail, password: Password }, {
  examples: [{ email: 'test@gmail.com', password: EXAMPLE }]
})

export const FlaskRegisterReply = Type.Object({
  message: Type.Literal('User registered successfully')
}, { description: 'The account is created; the client logs in next.' })

export const FlaskToken = Type.Object({
  access_token: Type.String({
    description: 'A JWT; send it as `Authorization: Bearer <access_token>`. It lives ACCESS_TOKEN_TTL, and ' +
      'a logout through the service\'s own API ends it at once.'
  })
}, { description: 'Signed in: a new session.' })

export const FlaskUserInfo = Type.Object({
  id: Type.String({ ...Uuid, description: 'The user\'s id: a UUID here.' }),
  name: NullableString(),
  email: Type.String()
}, { description: 'The signed-in user.' })

/** Flask-JWT's JWTError body, used for every error of the profile. */
export const FlaskError = Type.Object({
  status_code: Type.Integer(),
  error: Type.String(),
  description: Type.String()
}, { description: 'Flask-JWT\'s error body.' })
