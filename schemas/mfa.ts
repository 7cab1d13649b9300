/** The second factor: a TOTP authenticator, recovery codes, and a login's second step. */
import { type Static, Type } from '@sinclair/typebox'
import { Count, Password } from './common.js'

const TotpCode = Type.String({
  minLength: 6,
  maxLength: 6,
  pattern: '^[0-9]{6}$',
  'x-error': 'must be the 6 digits your authenticator app shows',
  description: 'The 6-digit code your authenticator app shows now.',
  examples: ['123456']
})

const RecoveryCode = Type.String({
  minLength: 10,
  maxLength: 32,
  pattern: '^[0-9A-Za-z -]+$',
  'x-error': 'must be one of your recovery codes, such as 7h3kq-9xv2m',
  description: 'One of the recovery codes shown when two-factor was turned on; each works once. ' +
    'Case, spaces and dashes do not matter.',
  examples: ['7h3kq-9xv2m']
})

const MfaToken = Type.String({
  minLength: 20,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-error': 'must be the mfaToken of the login\'s answer',
  description: 'The `mfaToken` of the login\'s answer.'
})

const RecoveryCodes = Type.Array(Type.String({ maxLength: 11 }), {
  minItems: 10,
  maxItems: 10,
  description: 'Ten single-use codes, each signing in once without the app. Shown only now: keep them safe.',
  examples: [['7h3kq-9xv2m', 'p4w8d-c2n6t', 'x9f3r-m5q7b', 'a2k8v-h6j4s', 'e5t9n-w3g7c',
    'q8m2x-d4r6p', 'z3v7k-b9f5h', 'c6n4t-s8w2j', 'g7q3m-y5k9d', 'r2h8p-n4x6v']]
})

/** The QR code's data URL: 28 KB for the longest otpauth URL (MFA_ISSUER and the email at their limits). */
const QR_CODE_MAX_LENGTH = 65536

export const MfaStatus = Type.Object({
  totp: Type.Boolean({ description: 'Whether two-factor sign-in with an authenticator app is on.' }),
  recoveryCodesLeft: Type.Integer({ format: 'int32', minimum: 0, maximum: 10, description: 'Recovery codes not used yet.' }),
  passkeys: Type.Integer({
    format: 'int32',
    minimum: 0,
    maximum: 20,
    description: 'Your passkeys (`GET /auth/passkeys` lists them): one that verifies you signs you in with two factors.'
  })
}, { description: 'Your factors beside the password.' })

export const EnrollBody = Type.Object({ password: Password }, {
  additionalProperties: false,
  description: 'Your password, asked again before your sign-in changes.',
  examples: [{ password: 'correct horse battery staple' }]
})
export type EnrollBody = Static<typeof EnrollBody>

export const Enrolment = Type.Object({
  secret: Type.String({ maxLength: 128, description: 'The base32 secret, for typing into an app that cannot scan the QR code.' }),
  otpauthUrl: Type.String({ maxLength: 2048, description: 'The `otpauth://totp/…` URL the QR code holds.' }),
  qrCode: Type.String({ maxLength: QR_CODE_MAX_LENGTH, description: 'The QR code of `otpauthUrl`, as an SVG `data:` URL for an `<img src>`.' })
}, { description: 'Scan the QR code (or type the secret) into an authenticator app, then confirm its first code.' })

export const CodeBody = Type.Object({ code: TotpCode }, {
  additionalProperties: false, examples: [{ code: '123456' }]
})
export type CodeBody = Static<typeof CodeBody>

export const AnyCodeBody = Type.Object({
  code: Type.String({
    minLength: 6,
    maxLength: 32,
    pattern: '^[0-9A-Za-z -]+$',
    'x-error': 'must be a code from your authenticator app or one of your recovery codes',
    description: 'A code from your authenticator app, or one of your recovery codes.'
  })
}, { additionalProperties: false, examples: [{ code: '123456' }] })
export type AnyCodeBody = Static<typeof AnyCodeBody>

export const RecoveryCodesReply = Type.Object({ recoveryCodes: RecoveryCodes }, {
  description: 'Your recovery codes.'
})

export const MfaChallengeReply = Type.Object({
  mfaRequired: Type.Literal(true),
  mfaToken: Type.String({
    maxLength: MfaToken.maxLength,
    description: 'Names this login attempt for `POST /auth/mfa/verify`: it lives `expiresIn` seconds, ' +
      'and ends after five wrong codes or one right one.'
  }),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')]), { maxItems: 2 }),
  expiresIn: Count({ description: 'Seconds left to send the code.', examples: [300] })
}, {
  description: 'The password is right, and the account has two-factor on: no tokens yet. Send a code from the ' +
    'authenticator app (or a recovery code) with `mfaToken` to `POST /auth/mfa/verify`.'
})

export const MfaVerifyBody = Type.Object({
  mfaToken: MfaToken,
  code: Type.Optional(TotpCode),
  recoveryCode: Type.Optional(RecoveryCode),
  cookie: Type.Optional(Type.Boolean({
    description: 'For browser pages, as at login: the refresh token goes into an HttpOnly cookie.'
  }))
}, {
  additionalProperties: false,
  oneOf: [{ title: 'by app code', required: ['code'] }, { title: 'by recovery code', required: ['recoveryCode'] }],
  description: '`mfaToken` and exactly one of `code` (the app\'s) or `recoveryCode`.',
  examples: [{ mfaToken: 'mQ3v8Zp1xK7wT2bN9rL4yC6hF0sD5gJ-aE_uV3iO8kW', code: '123456' }]
})
export type MfaVerifyBody = Static<typeof MfaVerifyBody>
