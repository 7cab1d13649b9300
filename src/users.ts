/** User records: identity normalization, look-ups and the public view of a user. */
import { and, eq, sql } from 'drizzle-orm'
import type { Database, Executor } from './db/index.js'
import { type Account, users, type UserRow } from './db/schema.js'
import { EmailTaken, invalidInput, UsernameTaken } from './errors.js'
import type { AdminUser } from '../schemas/admin.js'
import type { User } from '../schemas/user.js'

const USERNAME_RULE = /^[\p{L}\p{N}_.-][\p{L}\p{M}\p{N}_.-]{2,31}$/u

/** Emails are trimmed and compared case-insensitively. */
export function normalizeEmail (email: string): { email: string, key: string } {
  const trimmed = email.trim()
  return { email: trimmed, key: trimmed.toLowerCase() }
}

/**
 * Usernames are NFKC-normalized (so look-alike compatibility forms such as full-width letters
 * collapse into one name) and compared case-insensitively. The rule is checked again after
 * normalization, because NFKC can change a name's length or characters.
 */
export function normalizeUsername (username: string): { username: string, key: string } {
  const normalized = username.normalize('NFKC')
  if (!USERNAME_RULE.test(normalized)) {
    throw invalidInput([{ path: '/username', message: 'must be 3–32 letters, digits, _, . or - after Unicode normalization' }])
  }
  return { username: normalized, key: usernameKey(normalized) }
}

/**
 * The case-insensitive key of a username, as stored in the unique index. Upper case last:
 * lower-casing is context-dependent (Σ becomes ς at the end of a word) and folds less than
 * upper-casing does (ß and SS), so lower-then-upper maps every case variant to one key.
 */
export function usernameKey (username: string): string {
  return username.normalize('NFKC').toLowerCase().toUpperCase().normalize('NFKC')
}

export function toPublicUser (row: Account): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    name: row.name,
    role: row.role,
    metadata: row.metadata as User['metadata'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString()
  }
}

export function toAdminUser (row: Account): AdminUser {
  return { ...toPublicUser(row), disabledAt: row.disabledAt?.toISOString() ?? null }
}

/** Maps a unique-index violation to the 409 it means; anything else is returned unchanged. */
export function uniqueViolation (error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause ?? error
  const message = cause as { code?: string, message?: string }
  if (message.code !== 'SQLITE_CONSTRAINT_UNIQUE') return error
  if (message.message?.includes('users.email_key') === true) return new EmailTaken()
  if (message.message?.includes('users.username_key') === true) return new UsernameTaken()
  return error
}

export class Users {
  readonly #byEmailKey
  readonly #byUsernameKey
  readonly #byId

  constructor (readonly db: Database) {
    this.#byEmailKey = db.select().from(users).where(eq(users.emailKey, sql.placeholder('key'))).prepare()
    this.#byUsernameKey = db.select().from(users).where(eq(users.usernameKey, sql.placeholder('key'))).prepare()
    this.#byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare()
  }

  findByEmail (email: string): UserRow | undefined {
    return this.#byEmailKey.get({ key: normalizeEmail(email).key })
  }

  findByUsername (username: string): UserRow | undefined {
    return this.#byUsernameKey.get({ key: usernameKey(username) })
  }

  /** A user by id; with an executor, read inside that transaction. */
  findById (id: string, executor?: Executor): UserRow | undefined {
    return executor === undefined ? this.#byId.get({ id }) : executor.select().from(users).where(eq(users.id, id)).get()
  }

  /**
   * Sets a user's password hash, only if it is still `expected` when that is given (a
   * compare-and-set, so a concurrent change is never overwritten). True when it was set.
   */
  setPasswordHash (id: string, passwordHash: string, executor: Executor = this.db, expected?: string): boolean {
    return executor.update(users).set({ passwordHash })
      .where(and(eq(users.id, id), expected === undefined ? undefined : eq(users.passwordHash, expected)))
      .run().changes > 0
  }

  /** Changes a user's own profile fields; a taken username surfaces as USERNAME_TAKEN. */
  updateProfile (id: string, changes: { name?: string | null, username?: string | null, metadata?: Record<string, unknown> }): UserRow | undefined {
    const values: Partial<typeof users.$inferInsert> = { updatedAt: new Date() }
    if (changes.name !== undefined) {
      const name = changes.name?.trim() ?? null
      if (name === '') throw invalidInput([{ path: '/name', message: 'must not be blank' }])
      values.name = name
    }
    if (changes.username !== undefined) {
      const username = changes.username === null ? null : normalizeUsername(changes.username)
      values.username = username?.username ?? null
      values.usernameKey = username?.key ?? null
    }
    if (changes.metadata !== undefined) values.metadata = changes.metadata
    try {
      return this.db.update(users).set(values).where(eq(users.id, id)).returning().get()
    } catch (error) {
      throw uniqueViolation(error)
    }
  }

  /** Inserts a user; a taken email or username surfaces as EMAIL_TAKEN / USERNAME_TAKEN. */
  insert (executor: Executor, values: typeof users.$inferInsert): UserRow {
    try {
      return executor.insert(users).values(values).returning().get()
    } catch (error) {
      throw uniqueViolation(error)
    }
  }
}
