/** The audit trail: what can happen to an account, and how admins read it. */
import { type Static, Type } from '@sinclair/typebox'
import { NullableString, ref, Uuid } from './common.js'

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
  'mfa_recovery_codes_renewed'
] as const
export type EventType = typeof EVENT_TYPES[number]

const EventTypeSchema = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES] })

export const AuthEventView = Type.Object({
  id: Type.Integer(),
  type: EventTypeSchema,
  userId: NullableString({
    description: 'The account concerned, when known (a failed login for an unknown account has none).'
  }),
  sessionId: NullableString(),
  actorId: NullableString({ description: 'The admin who acted, for admin actions.' }),
  ip: NullableString(),
  userAgent: NullableString(),
  reason: NullableString({
    description: 'Why a login failed, the new role, whether a logout ended every session, ' +
      'which client had spent a reused refresh token, or the second factor a login used.'
  }),
  createdAt: Type.String({ format: 'date-time' })
}, { $id: 'AuthEvent', title: 'AuthEvent' })
export type AuthEventView = Static<typeof AuthEventView>

export const EventListQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  userId: Type.Optional(Uuid),
  type: Type.Optional(EventTypeSchema)
}, { additionalProperties: false })

export const EventList = Type.Object({
  events: Type.Array(ref(AuthEventView)),
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer()
}, { description: 'One page of the audit trail, newest first.' })
