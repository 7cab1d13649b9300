/** Drizzle table definitions for SQLite; `npm run db:generate` makes drizzle/sqlite's migrations from them. */
import { getTableColumns, sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { EventType } from '../../schemas/events.js'

/** Milliseconds since the epoch, read back as a Date. */
const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  /** As the user typed it, trimmed. */
  email: text('email').notNull(),
  /** Lower-cased email: the unique key that makes emails case-insensitive. */
  emailKey: text('email_key').notNull().unique('users_email_key_unique'),
  /** NFKC-normalized. */
  username: text('username'),
  /** Lower-cased NFKC username: the unique key; NULLs do not collide. */
  usernameKey: text('username_key').unique('users_username_key_unique'),
  /** The key's confusable skeleton (UTS #39): unique, so a look-alike of a taken name is taken too. */
  usernameSkeleton: text('username_skeleton').unique('users_username_skeleton_unique'),
  name: text('name'),
  role: text('role').notNull().default('user'),
  metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  passwordHash: text('password_hash').notNull(),
  /** Set while an admin has disabled the account: it can neither log in nor refresh. */
  disabledAt: timestamp('disabled_at'),
  /** When the account's email was shown to be its owner's; null until then (set by an import, for now). */
  emailVerifiedAt: timestamp('email_verified_at'),
  /** When two-factor sign-in was turned on (a TOTP confirmed); null while it is off. */
  mfaEnabledAt: timestamp('mfa_enabled_at'),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull()
})

/** One login on one device: the unit that logout and revocation act on. */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at').notNull(),
  lastUsedAt: timestamp('last_used_at').notNull(),
  /** Sliding expiry: moved forward by each refresh, never past maxExpiresAt. */
  expiresAt: timestamp('expires_at').notNull(),
  /** Absolute limit counted from login. */
  maxExpiresAt: timestamp('max_expires_at').notNull(),
  revokedAt: timestamp('revoked_at'),
  userAgent: text('user_agent'),
  ip: text('ip'),
  /** How the session was signed in: RFC 8176 method values, space-separated (`pwd`, `pwd otp mfa`). */
  amr: text('amr').notNull().default('pwd')
}, table => [
  index('sessions_user_id_idx').on(table.userId)
])

/** Refresh tokens are opaque; only their SHA-256 digests are stored. */
export const refreshTokens = sqliteTable('refresh_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  /** Set when the token is exchanged by a refresh. */
  usedAt: timestamp('used_at'),
  /** The client that exchanged it: only that client may present it again within the grace window. */
  usedIp: text('used_ip'),
  usedUserAgent: text('used_user_agent')
}, table => [
  index('refresh_tokens_session_id_idx').on(table.sessionId)
])

/**
 * The audit trail. No foreign keys: an account's history outlives the account. Never holds
 * a password or a token; `reason` (why a login failed) is for admins, never sent to the client.
 */
export const authEvents = sqliteTable('auth_events', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  type: text('type').$type<EventType>().notNull(),
  userId: text('user_id'),
  sessionId: text('session_id'),
  /** The admin who acted, for admin actions. */
  actorId: text('actor_id'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  reason: text('reason'),
  createdAt: timestamp('created_at').notNull()
}, table => [
  index('auth_events_created_at_idx').on(table.createdAt),
  index('auth_events_user_id_idx').on(table.userId, table.createdAt),
  index('auth_events_type_idx').on(table.type, table.createdAt)
])

/**
 * Mail waiting to be sent: written in the transaction of the change that needs it, then sent in the
 * background. Taken (`claimed_at`) before it is sent; one taken and never marked sent (the process
 * stopped mid-send) is not sent again, so a message is never sent twice.
 */
export const mailOutbox = sqliteTable('mail_outbox', {
  id: text('id').primaryKey(),
  recipient: text('recipient').notNull(),
  subject: text('subject').notNull(),
  text: text('text').notNull(),
  html: text('html').notNull(),
  /** What the message is for (verify_email, reset_password, …): for the log and the audit trail. */
  purpose: text('purpose').notNull(),
  userId: text('user_id'),
  createdAt: timestamp('created_at').notNull(),
  /** When the next try may start: retries back off. */
  nextAttemptAt: timestamp('next_attempt_at').notNull(),
  attempts: integer('attempts').notNull().default(0),
  claimedAt: timestamp('claimed_at'),
  sentAt: timestamp('sent_at'),
  /** Given up on: refused or unreachable for longer than the retry period. */
  failedAt: timestamp('failed_at'),
  lastError: text('last_error')
}, table => [
  index('mail_outbox_pending_idx').on(table.nextAttemptAt)
    .where(sql`${table.claimedAt} IS NULL AND ${table.sentAt} IS NULL AND ${table.failedAt} IS NULL`)
])

/**
 * The codes and link tokens of the email flows, one per user and purpose: a new request replaces the
 * previous one. Only digests are stored: an HMAC of the 6-digit code, a SHA-256 of the long token.
 */
export const emailCodes = sqliteTable('email_codes', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  purpose: text('purpose').notNull(),
  /** The address the code was sent to: for an email change, the new one. */
  email: text('email').notNull(),
  codeHash: text('code_hash').notNull(),
  tokenHash: text('token_hash').notNull().unique('email_codes_token_hash_unique'),
  /** Wrong codes tried: the code dies after five. */
  attempts: integer('attempts').notNull().default(0),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  usedAt: timestamp('used_at')
}, table => [
  uniqueIndex('email_codes_user_purpose_unique').on(table.userId, table.purpose)
])

/**
 * A user's TOTP authenticator: pending until its first code is confirmed. The secret is sealed with
 * AES-256-GCM (see src/mfa/secret-box.ts), never stored in clear.
 */
export const mfaTotp = sqliteTable('mfa_totp', {
  userId: text('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  secret: text('secret').notNull(),
  createdAt: timestamp('created_at').notNull(),
  confirmedAt: timestamp('confirmed_at'),
  /** The time step of the last code accepted: a code is never accepted twice. */
  lastStep: integer('last_step')
})

/** Single-use recovery codes, as keyed digests only. */
export const mfaRecoveryCodes = sqliteTable('mfa_recovery_codes', {
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  codeHash: text('code_hash').notNull(),
  createdAt: timestamp('created_at').notNull(),
  usedAt: timestamp('used_at')
}, table => [
  uniqueIndex('mfa_recovery_codes_user_code_unique').on(table.userId, table.codeHash)
])

/** A login whose password was right, waiting for its second factor; only the token's digest is stored. */
export const mfaChallenges = sqliteTable('mfa_challenges', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** A digest of the password hash that was proven: a password changed meanwhile ends the challenge. */
  passwordDigest: text('password_digest').notNull(),
  /** Codes tried: the challenge dies after five. */
  attempts: integer('attempts').notNull().default(0),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  usedAt: timestamp('used_at')
}, table => [
  index('mfa_challenges_user_id_idx').on(table.userId)
])

/**
 * Passkeys (WebAuthn credentials): a public key, its signature counter and what the authenticator said of
 * itself. Nothing here is secret: a copy of the table cannot sign anyone in.
 */
export const passkeys = sqliteTable('passkeys', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** The credential ID the authenticator chose, base64url: what a sign-in names. */
  credentialId: text('credential_id').notNull().unique('passkeys_credential_id_unique'),
  /** The COSE public key, base64url. */
  publicKey: text('public_key').notNull(),
  /** The signature counter last seen; 0 for authenticators that keep none (synced passkeys). */
  counter: integer('counter').notNull().default(0),
  /** How the authenticator is reached (`internal`, `hybrid`, `usb`…), space-separated, as it said at registration. */
  transports: text('transports').notNull().default(''),
  /** `singleDevice` (bound to one authenticator) or `multiDevice` (synced). */
  deviceType: text('device_type').notNull(),
  backedUp: integer('backed_up', { mode: 'boolean' }).notNull(),
  /** The authenticator model's AAGUID (all zeros when it does not say). */
  aaguid: text('aaguid').notNull(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at').notNull(),
  lastUsedAt: timestamp('last_used_at')
}, table => [
  index('passkeys_user_id_idx').on(table.userId)
])

/** The challenges of passkey ceremonies under way: each is good for one ceremony of its kind, once. */
export const passkeyChallenges = sqliteTable('passkey_challenges', {
  /** SHA-256 of the challenge, base64url. */
  challengeHash: text('challenge_hash').primaryKey(),
  /** `register` or `login`: a registration's challenge never signs anyone in. */
  ceremony: text('ceremony').notNull(),
  /** The user adding a passkey; null for a sign-in, which names nobody until the passkey does. */
  userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at').notNull()
}, table => [
  index('passkey_challenges_expires_at_idx').on(table.expiresAt)
])

/** Small service-wide values, such as the generated JWT secret. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull()
})

/** Keys that sign access tokens with an asymmetric JWT_ALGORITHM; the newest unretired one signs. */
export const signingKeys = sqliteTable('signing_keys', {
  /** RFC 7638 thumbprint of the public key. */
  kid: text('kid').primaryKey(),
  algorithm: text('algorithm').notNull(),
  /** PKCS#8 PEM; null once retired, and for a key given by JWT_PRIVATE_KEY (never stored). */
  privateKey: text('private_key'),
  /** The public JWK, as published. */
  publicKey: text('public_key', { mode: 'json' }).$type<PublicJwk>().notNull(),
  createdAt: timestamp('created_at').notNull(),
  retiredAt: timestamp('retired_at')
})

/** A public key as the JWKS publishes it. */
export interface PublicJwk {
  kty: string
  kid: string
  alg: string
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

export type UserRow = typeof users.$inferSelect

/** A user's columns as a request carries them (no password hash, no look-up keys), of either dialect. */
export function accountColumns (table: typeof users) {
  const {
    passwordHash: _hash, emailKey: _emailKey, usernameKey: _usernameKey, usernameSkeleton: _skeleton, ...columns
  } = getTableColumns(table)
  return columns
}
export type Account = Omit<UserRow, 'passwordHash' | 'emailKey' | 'usernameKey' | 'usernameSkeleton'>
export type SessionRow = typeof sessions.$inferSelect
export type AuthEventRow = typeof authEvents.$inferSelect
export type MailRow = typeof mailOutbox.$inferSelect
export type EmailCodeRow = typeof emailCodes.$inferSelect
export type MfaTotpRow = typeof mfaTotp.$inferSelect
export type PasskeyRow = typeof passkeys.$inferSelect
