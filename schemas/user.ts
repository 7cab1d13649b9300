import { type Static, Type } from '@sinclair/typebox'
import { DateTime, LegacyUsername, Metadata, Name, NullableString, Role, Username, Uuid } from './common.js'

/** A user as clients see it: never a password hash. */
export const User = Type.Object({
  id: Uuid,
  email: Type.String({ maxLength: 254, description: 'As registered, trimmed.', examples: ['grace@example.com'] }),
  emailVerified: Type.Boolean({
    description: 'Whether the user has proven the address (the code or link of the verification message, ' +
      'or a password reset).'
  }),
  mfaEnabled: Type.Boolean({
    description: 'Whether two-factor sign-in is on: login then asks for a code from an authenticator app.'
  }),
  // Accounts imported from older systems keep their names: up to LegacyUsername's length.
  username: NullableString({ maxLength: LegacyUsername.maxLength, description: Username.description }),
  name: NullableString({ maxLength: Name.maxLength, description: Name.description }),
  role: Role,
  metadata: Type.Unsafe<Static<typeof Metadata>>({
    type: 'object',
    additionalProperties: true,
    description: Metadata.description,
    examples: Metadata.examples
  }),
  createdAt: DateTime,
  updatedAt: DateTime
}, { $id: 'User', title: 'User', additionalProperties: false })

export type User = Static<typeof User>
