/** Drizzle table definitions for PostgreSQL: the tables, columns and indexes of schema.ts, in PostgreSQL's types. */
import { sql } from 'drizzle-orm'
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import type { EventType } from '../../schemas/events.js'
import type { PublicJwk } from './schema.js'

/** Millisecond precision, read back as a Date: the same values SQLite keeps. */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 })

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  emailKey: text('email_key').notNull().unique('users_email_key_unique'),
  username: text('username'),
  usernameKey: text('username_key').unique('users_username_key_unique'),
  usernameSkeleton: text('username_skeleton').unique('users_username_skeleton_unique'),
  name: text('name'),
  role: text('role').notNull().default('user'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  passwordHash: text('password_hash').notNull(),
  disabledAt: at('disabled_at'),
  emailVerifiedAt: at('email_verified_at'),
  mfaEnabledAt: at('mfa_enabled_at'),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull()
})

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: at('created_at').notNull(),
  lastUsedAt: at('last_used_at').notNull(),
  expiresAt: at('expires_at').notNull(),
  maxExpiresAt: at('max_expires_at').notNull(),
  revokedAt: at('revoked_at'),
  userAgent: text('user_agent'),
  ip: text('ip'),
  amr: text('amr').notNull().default('pwd')
}, table => [
  index('sessions_user_id_idx').on(table.userId)
])

export const refreshTokens = pgTable('refresh_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  createdAt: at('created_at').notNull(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
  usedIp: text('used_ip'),
  usedUserAgent: text('used_user_agent')
}, table => [
  index('refresh_tokens_session_id_idx').on(table.sessionId)
])

export const authEvents = pgTable('auth_events', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  type: text('type').$type<EventType>().notNull(),
  userId: text('user_id'),
  sessionId: text('session_id'),
  actorId: text('actor_id'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  reason: text('reason'),
  createdAt: at('created_at').notNull()
}, table => [
  index('auth_events_created_at_idx').on(table.createdAt),
  index('auth_events_user_id_idx').on(table.userId, table.createdAt),
  index('auth_events_type_idx').on(table.type, table.createdAt)
])

export const mailOutbox = pgTable('mail_outbox', {
  id: text('id').primaryKey(),
  recipient: text('recipient').notNull(),
  subject: text('subject').notNull(),
  text: text('text').notNull(),
  html: text('html').notNull(),
  purpose: text('purpose').notNull(),
  userId: text('user_id'),
  createdAt: at('created_at').notNull(),
  nextAttemptAt: at('next_attempt_at').notNull(),
  attempts: integer('attempts').notNull().default(0),
  claimedAt: at('claimed_at'),
  sentAt: at('sent_at'),
  failedAt: at('failed_at'),
  lastError: text('last_error')
}, table => [
  index('mail_outbox_pending_idx').on(table.nextAttemptAt)
    .where(sql`${table.claimedAt} IS NULL AND ${table.sentAt} IS NULL AND ${table.failedAt} IS NULL`)
])

export const emailCodes = pgTable('email_codes', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  purpose: text('purpose').notNull(),
  email: text('email').notNull(),
  codeHash: text('code_hash').notNull(),
  tokenHash: text('token_hash').notNull().unique('email_codes_token_hash_unique'),
  attempts: integer('attempts').notNull().default(0),
  createdAt: at('created_at').notNull(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at')
}, table => [
  uniqueIndex('email_codes_user_purpose_unique').on(table.userId, table.purpose)
])

export const mfaTotp = pgTable('mfa_totp', {
  userId: text('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  secret: text('secret').notNull(),
  createdAt: at('created_at').notNull(),
  confirmedAt: at('confirmed_at'),
  lastStep: bigint('last_step', { mode: 'number' })
})

export const mfaRecoveryCodes = pgTable('mfa_recovery_codes', {
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  codeHash: text('code_hash').notNull(),
  createdAt: at('created_at').notNull(),
  usedAt: at('used_at')
}, table => [
  uniqueIndex('mfa_recovery_codes_user_code_unique').on(table.userId, table.codeHash)
])

export const mfaChallenges = pgTable('mfa_challenges', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  passwordDigest: text('password_digest').notNull(),
  attempts: integer('attempts').notNull().default(0),
  createdAt: at('created_at').notNull(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at')
}, table => [
  index('mfa_challenges_user_id_idx').on(table.userId)
])

export const passkeys = pgTable('passkeys', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  credentialId: text('credential_id').notNull().unique('passkeys_credential_id_unique'),
  publicKey: text('public_key').notNull(),
  // An unsigned 32-bit counter: past integer's range.
  counter: bigint('counter', { mode: 'number' }).notNull().default(0),
  transports: text('transports').notNull().default(''),
  deviceType: text('device_type').notNull(),
  backedUp: boolean('backed_up').notNull(),
  aaguid: text('aaguid').notNull(),
  name: text('name').notNull(),
  createdAt: at('created_at').notNull(),
  lastUsedAt: at('last_used_at')
}, table => [
  index('passkeys_user_id_idx').on(table.userId)
])

export const passkeyChallenges = pgTable('passkey_challenges', {
  challengeHash: text('challenge_hash').primaryKey(),
  ceremony: text('ceremony').notNull(),
  userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: at('expires_at').notNull()
}, table => [
  index('passkey_challenges_expires_at_idx').on(table.expiresAt)
])

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull()
})

export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  algorithm: text('algorithm').notNull(),
  privateKey: text('private_key'),
  publicKey: jsonb('public_key').$type<PublicJwk>().notNull(),
  createdAt: at('created_at').notNull(),
  retiredAt: at('retired_at')
})
