/** One line of an `import-users` file: an account from another system, with the password hash it had there. */
import { type Static, Type } from '@sinclair/typebox'
import { LegacyUsername, Metadata, Name, NewEmail, Role } from './common.js'

/** The registration rules, field by field; the hash is stored as it is, its format checked by the service. */
export const ImportedUser = Type.Object({
  email: NewEmail,
  username: Type.Optional(LegacyUsername),
  name: Type.Optional(Name),
  role: Type.Optional(Role),
  metadata: Type.Optional(Metadata),
  createdAt: Type.Optional(Type.String({
    format: 'date-time', maxLength: 64, description: 'When the account was made there (ISO 8601, with its offset).'
  })),
  emailVerified: Type.Optional(Type.Boolean({
    description: 'Whether that system had verified the email: then `email_verified_at` is `createdAt` (or now).'
  })),
  passwordHash: Type.String({
    minLength: 1,
    maxLength: 512,
    pattern: '^[!-~]+$',
    'x-error': 'must be printable ASCII, without spaces',
    description: 'bcrypt, Django (pbkdf2_sha256, bcrypt_sha256, bcrypt) or Werkzeug (pbkdf2:sha256, scrypt).'
  })
}, { additionalProperties: false })
export type ImportedUser = Static<typeof ImportedUser>
