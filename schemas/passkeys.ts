/**
 * Passkeys (WebAuthn): the options the server sends to `navigator.credentials.create()` and `.get()`, and the
 * credentials the browser sends back, in the JSON forms of the WebAuthn spec (as `@simplewebauthn/browser`,
 * `PublicKeyCredential.toJSON()` and Android's Credential Manager write them).
 */
import { type Static, Type } from '@sinclair/typebox'
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON
} from '@simplewebauthn/server'
import { CookieMode } from './auth.js'
import { Count, DateTime, NullableString, Password, Uuid } from './common.js'

/** Most passkeys an account may hold. */
export const PASSKEYS_MAX = 20

/** Seconds a ceremony's challenge lives, and the browser's `timeout` for it. */
export const PASSKEY_CHALLENGE_TTL = 300

function Base64Url (maxLength: number, description?: string) {
  return Type.String({
    minLength: 1,
    maxLength,
    // The spec's JSON forms carry no padding; some encoders add it anyway.
    pattern: '^[A-Za-z0-9_-]+={0,2}$',
    'x-error': 'must be base64url',
    ...(description === undefined ? {} : { description })
  })
}

/** A credential ID: at most 1,023 bytes (WebAuthn §5.8.3), so 1,364 characters of base64url. */
const CredentialId = Base64Url(1366, 'The credential ID, base64url.')

/**
 * A transport the authenticator says it is reached by (`internal`, `hybrid`, `usb`, `nfc`, `ble`, `smart-card`
 * …). New ones keep appearing in browsers, so any such word is kept as given.
 */
const Transport = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z-]+$' })
const Transports = Type.Array(Transport, { maxItems: 8 })

/**
 * What the spec and browsers may add to a credential's JSON is ignored rather than refused: these objects
 * are written by the browser or the phone's platform, not by the developer calling this API.
 */
const FROM_THE_PLATFORM = { additionalProperties: true, maxProperties: 16 }

const ExtensionResults = Type.Object({}, {
  ...FROM_THE_PLATFORM,
  description: 'The client extensions\' outputs (`credProps`, …), as the browser gave them.'
})

const Attachment = Type.Optional(Type.String({
  maxLength: 32, description: '`platform` (this device) or `cross-platform` (a security key, a phone).'
}))

export const RegistrationResponse = Type.Unsafe<RegistrationResponseJSON>(Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  response: Type.Object({
    clientDataJSON: Base64Url(4096),
    attestationObject: Base64Url(12288),
    authenticatorData: Type.Optional(Base64Url(8192)),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer({ format: 'int32', minimum: -65536, maximum: 65535 })),
    publicKey: Type.Optional(Base64Url(2048))
  }, FROM_THE_PLATFORM),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ExtensionResults,
  type: Type.Literal('public-key')
}, { ...FROM_THE_PLATFORM, description: 'What `navigator.credentials.create()` gave, as JSON.' }))

export const AuthenticationResponse = Type.Unsafe<AuthenticationResponseJSON>(Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  response: Type.Object({
    clientDataJSON: Base64Url(4096),
    authenticatorData: Base64Url(8192),
    signature: Base64Url(2048),
    userHandle: Type.Optional(Base64Url(128))
  }, FROM_THE_PLATFORM),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ExtensionResults,
  type: Type.Literal('public-key')
}, { ...FROM_THE_PLATFORM, description: 'What `navigator.credentials.get()` gave, as JSON.' }))

const PasskeyName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  'x-well-formed': true,
  'x-error': 'must be 1–64 characters, without control characters',
  description: 'A name to tell your passkeys apart.',
  examples: ['Work laptop']
})

const CredentialDescriptor = Type.Object({
  id: CredentialId,
  type: Type.Literal('public-key'),
  transports: Type.Optional(Transports)
})

const Hints = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 4 })

/** `navigator.credentials.create()`'s options, as JSON (`PublicKeyCredentialCreationOptionsJSON`). */
export const CreationOptions = Type.Unsafe<PublicKeyCredentialCreationOptionsJSON>(Type.Object({
  challenge: Base64Url(128),
  rp: Type.Object({ name: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 253 }) }),
  user: Type.Object({
    id: Base64Url(128, 'The account\'s user handle: its id, never its address.'),
    name: Type.String({ maxLength: 254 }),
    displayName: Type.String({ maxLength: 254 })
  }),
  pubKeyCredParams: Type.Array(Type.Object({
    alg: Type.Integer({ format: 'int32', minimum: -65536, maximum: 65535 }),
    type: Type.Literal('public-key')
  }), { maxItems: 8 }),
  timeout: Type.Integer({ format: 'int32', minimum: 0, maximum: 600_000 }),
  attestation: Type.String({ maxLength: 16 }),
  excludeCredentials: Type.Array(CredentialDescriptor, { maxItems: 20, description: 'Your passkeys: not made twice.' }),
  authenticatorSelection: Type.Object({
    residentKey: Type.String({ maxLength: 16 }),
    requireResidentKey: Type.Boolean(),
    userVerification: Type.String({ maxLength: 16 })
  }),
  extensions: Type.Object({ credProps: Type.Boolean() }),
  hints: Hints
}, {
  description: 'Pass to `startRegistration({ optionsJSON })` of `@simplewebauthn/browser`, or to ' +
  '`PublicKeyCredential.parseCreationOptionsFromJSON()`.'
}))

/** `navigator.credentials.get()`'s options, as JSON (`PublicKeyCredentialRequestOptionsJSON`). */
export const RequestOptions = Type.Unsafe<PublicKeyCredentialRequestOptionsJSON>(Type.Object({
  challenge: Base64Url(128),
  rpId: Type.String({ maxLength: 253 }),
  allowCredentials: Type.Array(CredentialDescriptor, {
    maxItems: 0, description: 'Empty: the authenticator offers the passkeys it holds for this site.'
  }),
  timeout: Type.Integer({ format: 'int32', minimum: 0, maximum: 600_000 }),
  userVerification: Type.String({ maxLength: 16 })
}, {
  description: 'Pass to `startAuthentication({ optionsJSON })` of `@simplewebauthn/browser`, or to ' +
  '`PublicKeyCredential.parseRequestOptionsFromJSON()`.'
}))

export const RegisterOptionsBody = Type.Object({
  password: Type.Optional(Password)
}, {
  additionalProperties: false,
  description: 'Your password, asked again before your sign-in changes; not needed from a session signed in ' +
    'with two factors (or with a passkey that verified you).',
  examples: [{ password: 'correct horse battery staple' }]
})

export const RegisterBody = Type.Object({
  response: RegistrationResponse,
  name: Type.Optional(PasskeyName)
}, { additionalProperties: false })
export type RegisterBody = Static<typeof RegisterBody>

export const RenameBody = Type.Object({ name: PasskeyName }, { additionalProperties: false })

export const PasskeyParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const Passkey = Type.Object({
  id: Uuid,
  name: Type.String({ maxLength: 64 }),
  createdAt: DateTime,
  lastUsedAt: NullableString({ format: 'date-time', maxLength: 32, description: 'To the minute; null until first used.' }),
  deviceType: Type.String({
    maxLength: 16, description: '`singleDevice`: bound to one authenticator; `multiDevice`: synced between devices.'
  }),
  backedUp: Type.Boolean({ description: 'Whether the passkey is backed up (synced), as its authenticator said.' })
}, { description: 'One of your passkeys: never its key, which stays in the authenticator.' })
export type Passkey = Static<typeof Passkey>

export const PasskeyList = Type.Object({
  passkeys: Type.Array(Passkey, { maxItems: PASSKEYS_MAX }),
  limit: Count({ maximum: PASSKEYS_MAX, description: 'How many passkeys an account may hold.' })
}, { description: 'Your passkeys, oldest first.' })

export const LoginOptionsBody = Type.Object({}, { additionalProperties: false })

export const PasskeyLoginBody = Type.Object({
  response: AuthenticationResponse,
  cookie: Type.Optional(CookieMode)
}, { additionalProperties: false })
