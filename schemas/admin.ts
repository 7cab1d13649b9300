import { type Static, Type } from '@sinclair/typebox'
import { Email, Name, NewPassword, NullableString, ref, Role, STORABLE, Username, Uuid } from './common.js'
import { EVENT_TYPES, type EventType } from '../src/events.js'
import { User } from './user.js'

/** A user as admins see them: the public fields and whether the account is disabled. */
export const AdminUser = Type.Composite([
  User,
  Type.Object({
    disabledAt: NullableString({ format: 'date-time', description: 'When an admin disabled the account; null while it is enabled.' })
  })
], { $id: 'AdminUser', title: 'AdminUser', additionalProperties: false })
export type AdminUser = Static<typeof AdminUser>

export const UserListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 254, ...STORABLE, description: 'Part of an email or username, any case.' }))
}, { additionalProperties: false })
export type UserListQuery = Static<typeof UserListQuery>

export const UserList = Type.Object({
  users: Type.Array(ref(AdminUser)),
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer({ description: 'Users matching the search, on all pages.' })
}, { description: 'One page of users, newest first.' })

export const UserParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export type UserParams = Static<typeof UserParams>

export const RoleBody = Type.Object({ role: Role }, { additionalProperties: false, examples: [{ role: 'admin' }] })

/** What the CLI's create-user takes: any role, admin included (admins are never made over HTTP). */
export function CreateUserInput (passwordMinLength: number) {
  return Type.Object({
    email: Email,
    password: NewPassword(passwordMinLength),
    username: Type.Optional(Username),
    name: Type.Optional(Name),
    role: Role
  }, { additionalProperties: false })
}

export const AuthEventView = Type.Object({
  id: Type.Integer(),
  type: Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] }),
  userId: NullableString({ description: 'The account concerned, when known (a failed login for an unknown account has none).' }),
  sessionId: NullableString(),
  actorId: NullableString({ description: 'The admin who acted, for admin actions.' }),
  ip: NullableString(),
  userAgent: NullableString(),
  reason: NullableString({ description: 'Why a login failed, the new role, or whether a logout ended every session.' }),
  createdAt: Type.String({ format: 'date-time' })
}, { $id: 'AuthEvent', title: 'AuthEvent' })

export const EventListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  userId: Type.Optional(Uuid),
  type: Type.Optional(Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] }))
}, { additionalProperties: false })

export const EventList = Type.Object({
  events: Type.Array(ref(AuthEventView)),
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer()
}, { description: 'One page of the audit trail, newest first.' })
