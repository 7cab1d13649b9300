/** The audit trail: what can happen to an account, and how admins read it. */
import { type Static, Type } from '@sinclair/typebox'
import { Count, DateTime, IP_MAX_LENGTH, NullableString, ref, USER_AGENT_MAX_LENGTH, Uuid } from './common.js'

export const EVENT_TYPES = [
  'register',
  'login_success',
  'login_failure',
  'login_locked',
  'refresh',
  'refresh_reuse_detected',
  'logout',
  'session_revoked',
  'password_change',
  'profile_change',
  'user_created',
  'user_imported',
  'role_change',
  'user_disabled',
  'user_enabled',
  'user_deleted',
  'email_verification_requested',
  'email_verified',
  'password_reset_requested',
  'password_reset',
  'email_change_requested',
  'email_changed',
  'mail_capacity_reached',
  'mail_failed',
  'login_mfa_required',
  'mfa_failure',
  'mfa_enabled',
  'mfa_disabled',
  'mfa_reset',
  'mfa_recovery_codes_renewed',
  'passkey_added',
  'passkey_removed'
] as const
export type EventType = typeof EVENT_TYPES[number]

const EventTypeSchema = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] })

export const AuthEventView = Type.Object({
  id: Count({ minimum: 1 }),
  type: EventTypeSchema,
  userId: NullableString({
    maxLength: Uuid.maxLength,
    description: 'The account concerned, when known (a failed login for an unknown account has none).'
  }),
  sessionId: NullableString({ maxLength: Uuid.maxLength }),
  actorId: NullableString({ maxLength: Uuid.maxLength, description: 'The admin who acted, for admin actions.' }),
  ip: NullableString({ maxLength: IP_MAX_LENGTH }),
  userAgent: NullableString({ maxLength: USER_AGENT_MAX_LENGTH }),
  // The longest: a reused refresh token's spender (a network and a user agent), or a mail failure (500 + its purpose).
  reason: NullableString({
    maxLength: 1024,
    description: 'Why a login failed, the new role, whether a logout ended every session, ' +
      'which client had spent a reused refresh token, or the second factor a login used.'
  }),
  createdAt: DateTime
}, { $id: 'AuthEvent', title: 'AuthEvent' })
export type AuthEventView = Static<typeof AuthEventView>

export const EventListQuery = Type.Object({
  page: Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: 20 }),
  userId: Type.Optional(Uuid),
  type: Type.Optional(EventTypeSchema)
}, { additionalProperties: false })

export const EventList = Type.Object({
  events: Type.Array(ref(AuthEventView), { maxItems: 100 }),
  page: Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000 }),
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100 }),
  total: Count()
}, { description: 'One page of the audit trail, newest first.' })
