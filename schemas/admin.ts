import { type Static, Type } from '@sinclair/typebox'
import { Count, DateTime, Name, NewEmail, NewPassword, NullableString, ref, Role, STORABLE, Username, Uuid } from './common.js'
import { User } from './user.js'

/** A user as admins see them: the public fields and whether the account is disabled. */
export const AdminUser = Type.Composite([
  User,
  Type.Object({
    disabledAt: NullableString({
      format: 'date-time', maxLength: DateTime.maxLength, description: 'When an admin disabled the account; null while it is enabled.'
    })
  })
], { $id: 'AdminUser', title: 'AdminUser', additionalProperties: false })
export type AdminUser = Static<typeof AdminUser>

export const UserListQuery = Type.Object({
  page: Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: 20 }),
  search: Type.Optional(Type.String({
    minLength: 1, maxLength: 254, ...STORABLE, description: 'Part of an email or username, any case.'
  }))
}, { additionalProperties: false })
export type UserListQuery = Static<typeof UserListQuery>

export const UserList = Type.Object({
  users: Type.Array(ref(AdminUser), { maxItems: 100 }),
  page: Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000 }),
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100 }),
  total: Count({ description: 'Users matching the search, on all pages.' })
}, { description: 'One page of users, newest first.' })

export const UserParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export type UserParams = Static<typeof UserParams>

export const RoleBody = Type.Object({ role: Role }, { additionalProperties: false, examples: [{ role: 'admin' }] })

/** What the CLI's create-user takes: any role, admin included (admins are never made over HTTP). */
export function CreateUserInput (passwordMinLength: number) {
  return Type.Object({
    email: NewEmail,
    password: NewPassword(passwordMinLength),
    username: Type.Optional(Username),
    name: Type.Optional(Name),
    role: Role
  }, { additionalProperties: false })
}
