import { type Static, Type } from '@sinclair/typebox'
import { DateTime, Metadata, Name, Role, Username, Uuid } from './common.js'

/**
 * A response field that may be null. A plain type list, not a union: the serializer then needs
 * no validation to pick a branch, and a stored value can never fail to serialize.
 */
function nullableString (description: string | undefined) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], description })
}

/** A user as clients see it: never a password hash. */
export const User = Type.Object({
  id: Uuid,
  email: Type.String({ description: 'As registered, trimmed.', examples: ['grace@example.com'] }),
  username: nullableString(Username.description),
  name: nullableString(Name.description),
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
