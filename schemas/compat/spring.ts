/** The Spring API (COMPAT_PROFILE=spring): every answer wrapped in its `WebResponse<T>`. */
import { type Static, Type } from '@sinclair/typebox'
import { Name, NewPassword, Password } from '../common.js'
import { LegacyBody, LegacyEmail, LegacyNewEmail } from './common.js'

const EXAMPLE = 'correct horse battery staple'
const Confirmation = Type.String({ maxLength: 72, description: 'Must equal the password.' })

export const SpringRegisterBody = (passwordMinLength: number) => LegacyBody({
  email: LegacyNewEmail,
  name: Name,
  password: NewPassword(passwordMinLength),
  confirmPassword: Confirmation
}, { examples: [{ email: 'user@example.com', name: 'Nama Lengkap', password: EXAMPLE, confirmPassword: EXAMPLE }] })
export type SpringRegisterBody = Static<ReturnType<typeof SpringRegisterBody>>

export const SpringLoginBody = LegacyBody({ email: LegacyEmail, password: Password }, {
  examples: [{ email: 'user@example.com', password: EXAMPLE }]
})
export type SpringLoginBody = Static<typeof SpringLoginBody>

export const SpringPasswordBody = (passwordMinLength: number) => LegacyBody({
  currentPassword: Password,
  newPassword: NewPassword(passwordMinLength),
  confirmNewPassword: Confirmation
}, { examples: [{ currentPassword: EXAMPLE, newPassword: 'a new and longer passphrase', confirmNewPassword: 'a new and longer passphrase' }] })
export type SpringPasswordBody = Static<ReturnType<typeof SpringPasswordBody>>

export const SpringOk = Type.Object({ data: Type.Literal('OK') }, { description: 'Done.' })

export const SpringToken = Type.Object({
  data: Type.Object({
    token: Type.String({
      description: 'A JWT; send it as `Authorization: Bearer <token>`. It lives ACCESS_TOKEN_TTL, and a logout ' +
        'ends it at once.'
    })
  })
}, { description: 'Signed in: a new session.' })

export const SpringError = Type.Object({ errors: Type.String() }, { description: '`WebResponse` with its error.' })
