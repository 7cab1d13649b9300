import { type Static, Type } from '@sinclair/typebox'
import { DateTime, Metadata, Name, Role, Username, Uuid } from './common.js'

/** A user as clients see it: never a password hash. */
export const User = Type.Object({
  id: Uuid,
  email: Type.String({ description: 'As registered, trimmed.', examples: ['ada@example.com'] }),
  username: Type.Union([Username, Type.Null()]),
  name: Type.Union([Name, Type.Null()]),
  role: Role,
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime
}, { $id: 'User', title: 'User', additionalProperties: false })

export type User = Static<typeof User>
