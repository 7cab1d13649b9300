/** The email flows: verifying an address and resetting a forgotten password, by a code or a link's token. */
import { type Static, Type } from '@sinclair/typebox'
import { Email, NewEmail, NewPassword, Password } from './common.js'

const Code = Type.String({
  minLength: 6,
  maxLength: 6,
  pattern: '^[0-9]{6}$',
  'x-error': 'must be the 6 digits of the message',
  description: 'The 6-digit code of the message.',
  examples: ['123456']
})
const LinkToken = Type.String({
  minLength: 20,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-error': 'must be the token of the message\'s link',
  description: 'The token after `#token=` in the message\'s link.'
})

/** A code with the address it was sent to, or a link's token: exactly one of the two. */
const PROOF = {
  oneOf: [{ title: 'by code', required: ['email', 'code'] }, { title: 'by link', required: ['token'] }]
}
const proofFields = { email: Type.Optional(Email), code: Type.Optional(Code), token: Type.Optional(LinkToken) }

export const VerifyEmailBody = Type.Object(proofFields, {
  additionalProperties: false,
  ...PROOF,
  description: '`email` and `code`, or `token`.',
  examples: [{ email: 'grace@example.com', code: '123456' }]
})
export type VerifyEmailBody = Static<typeof VerifyEmailBody>

export const EmailRequestBody = Type.Object({ email: Email }, {
  additionalProperties: false,
  examples: [{ email: 'grace@example.com' }]
})
export type EmailRequestBody = Static<typeof EmailRequestBody>

export function ResetPasswordBody (passwordMinLength: number) {
  return Type.Object({
    ...proofFields,
    newPassword: NewPassword(passwordMinLength),
    confirmNewPassword: Type.Optional(
      Type.String({ maxLength: 72, description: 'When present, must equal `newPassword`.' })
    )
  }, {
    additionalProperties: false,
    ...PROOF,
    description: '`email` and `code`, or `token`; and the new password.',
    examples: [{ email: 'grace@example.com', code: '123456', newPassword: 'a brand new passphrase' }]
  })
}
export type ResetPasswordBody = Static<ReturnType<typeof ResetPasswordBody>>

export const EmailChangeBody = Type.Object({
  newEmail: NewEmail,
  password: Password
}, {
  additionalProperties: false,
  description: 'The new address, and your password.',
  examples: [{ newEmail: 'grace.hopper@example.com', password: 'correct horse battery staple' }]
})
export type EmailChangeBody = Static<typeof EmailChangeBody>

export const EmailChangeConfirmBody = Type.Object({ code: Type.Optional(Code), token: Type.Optional(LinkToken) }, {
  additionalProperties: false,
  oneOf: [{ title: 'by code', required: ['code'] }, { title: 'by link', required: ['token'] }],
  description: '`code`, or `token`: from the message sent to the new address.',
  examples: [{ code: '123456' }]
})
export type EmailChangeConfirmBody = Static<typeof EmailChangeConfirmBody>

export const CHANGE_REQUESTED_MESSAGE = 'A code is on its way to the new address'
export const ChangeRequested = Type.Object({ message: Type.Literal(CHANGE_REQUESTED_MESSAGE) }, {
  description: 'The code is sent to the new address.'
})

/** The one answer of a request endpoint, whether or not the address is an account's. */
export const ACCEPTED_MESSAGE = 'If this address belongs to an account, a message is on its way'
export const Accepted = Type.Object({ message: Type.Literal(ACCEPTED_MESSAGE) }, {
  description: 'Accepted. The same answer whether or not the address is an account\'s: nothing tells which.'
})
