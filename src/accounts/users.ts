/** The users table: look-ups, inserts and the changes a user or a login makes to a row. */
import { and, eq, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm'
import type { Executor, Prepared, Store, Tables } from '../db/index.js'
import type { Account, UserRow } from '../db/schema.js'
import { EmailTaken, invalidInput, UsernameTaken } from '../errors.js'
import { toCurrentUser, toPublicUser } from '../views.js'
import { normalizeEmail, normalizeUsername, usernameKey, usernameSkeleton } from './identity.js'
import type { User } from '../../schemas/user.js'

/** Maps a unique-index violation (SQLite's or PostgreSQL's) to the 409 it means; returns anything else. */
export function uniqueViolation (error: unknown): unknown {
  const cause = ((error as { cause?: unknown }).cause ?? error) as
    { code?: string, message?: string, constraint?: string }
  const index = cause.code === 'SQLITE_CONSTRAINT_UNIQUE'
    ? /users\.(email_key|username_key|username_skeleton)/.exec(cause.message ?? '')?.[1]
    : cause.code === '23505'
      ? /^users_(email_key|username_key|username_skeleton)_unique$/.exec(cause.constraint ?? '')?.[1]
      : undefined
  if (index === 'email_key') return new EmailTaken()
  if (index === 'username_key' || index === 'username_skeleton') return new UsernameTaken()
  return error
}

/** The fields of their own profile a user may change; null clears one. */
export interface ProfileChanges {
  name?: string | null
  username?: string | null
  metadata?: Record<string, unknown>
}

export class Users {
  readonly #store: Store
  readonly #byEmailKey: Prepared<UserRow>
  readonly #byUsernameKey: Prepared<UserRow>
  readonly #byId: Prepared<UserRow>

  constructor (store: Store) {
    this.#store = store
    const { db, tables: { users } } = store
    this.#byEmailKey = store.prepare(
      'user_by_email_key', db.select().from(users).where(eq(users.emailKey, sql.placeholder('key')))
    )
    this.#byUsernameKey = store.prepare(
      'user_by_username_key', db.select().from(users).where(eq(users.usernameKey, sql.placeholder('key')))
    )
    this.#byId = store.prepare('user_by_id', db.select().from(users).where(eq(users.id, sql.placeholder('id'))))
  }

  /** What a client sees of an account. */
  view (account: Account): User {
    return toPublicUser(account)
  }

  /** What the signed-in user sees of their account, with how their session was signed in. */
  viewCurrent (account: Account, amr: string[]): User & { amr: string[] } {
    return toCurrentUser(account, amr)
  }

  async findByEmail (email: string): Promise<UserRow | undefined> {
    return (await this.#byEmailKey({ key: normalizeEmail(email).key }))[0]
  }

  async findByUsername (username: string): Promise<UserRow | undefined> {
    return (await this.#byUsernameKey({ key: usernameKey(username) }))[0]
  }

  /** A user by id; with `tx`, read inside that transaction. */
  async findById (id: string, tx?: Executor): Promise<UserRow | undefined> {
    if (tx === undefined) return (await this.#byId({ id }))[0]
    const { users } = this.#store.tables
    return (await tx.select().from(users).where(eq(users.id, id)).limit(1))[0]
  }

  /** Sets the hash only if it is still `expected`, when given: a concurrent change is never overwritten. */
  async setPasswordHash (id: string, passwordHash: string, expected?: string, tx?: Executor): Promise<boolean> {
    const { users } = this.#store.tables
    const set = (db: Executor) => db.update(users).set({ passwordHash })
      .where(and(eq(users.id, id), expected === undefined ? undefined : eq(users.passwordHash, expected)))
    return this.#store.changes(tx === undefined ? await this.#store.write(set) : await set(tx)) > 0
  }

  /** Changes a user's own profile fields; a taken username surfaces as USERNAME_TAKEN. */
  async updateProfile (id: string, changes: ProfileChanges, tx: Executor): Promise<UserRow | undefined> {
    const { users } = this.#store.tables
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
      values.usernameSkeleton = username?.skeleton ?? null
    }
    if (changes.metadata !== undefined) values.metadata = changes.metadata
    try {
      return (await tx.update(users).set(values).where(eq(users.id, id)).returning())[0]
    } catch (error) {
      throw uniqueViolation(error)
    }
  }

  /**
   * Gives the usernames stored before skeletons were their confusable skeleton, at start-up. A name that
   * looks like one already given its skeleton keeps none (it stays, but cannot be imitated in turn);
   * returns how many were filled and how many were left so.
   */
  async fillSkeletons (): Promise<{ filled: number, lookAlikes: number }> {
    const { users } = this.#store.tables
    const rows = await this.#store.db.select({ id: users.id, key: users.usernameKey }).from(users)
      .where(and(isNotNull(users.usernameKey), isNull(users.usernameSkeleton)))
    let filled = 0
    for (const row of rows) {
      try {
        await this.#store.write(db => db.update(users).set({ usernameSkeleton: usernameSkeleton(row.key as string) })
          .where(and(eq(users.id, row.id), isNull(users.usernameSkeleton))))
        filled++
      } catch (error) {
        if (uniqueViolation(error) === error) throw error
      }
    }
    return { filled, lookAlikes: rows.length - filled }
  }

  /** Of these email keys, username keys and skeletons, those some account already has. */
  async taken (
    keys: { emails: string[], usernames: string[], skeletons: string[] }, tx: Executor = this.#store.db
  ): Promise<{ emails: Set<string>, usernames: Set<string>, skeletons: Set<string> }> {
    const { users } = this.#store.tables
    const rows = keys.emails.length === 0
      ? []
      : await tx.select({ email: users.emailKey, username: users.usernameKey, skeleton: users.usernameSkeleton })
        .from(users).where(or(
          inArray(users.emailKey, keys.emails),
          keys.usernames.length === 0 ? undefined : inArray(users.usernameKey, keys.usernames),
          keys.skeletons.length === 0 ? undefined : inArray(users.usernameSkeleton, keys.skeletons)
        ))
    const present = (values: Array<string | null>) => new Set(values.filter(value => value !== null))
    return {
      emails: present(rows.map(row => row.email)),
      usernames: present(rows.map(row => row.username)),
      skeletons: present(rows.map(row => row.skeleton))
    }
  }

  /**
   * Inserts many users in one statement (an import's batch). A row whose email or username was taken since it
   * was checked is left out rather than failing the others; returns the ids of the rows inserted.
   */
  async insertMany (rows: Array<Tables['users']['$inferInsert']>, tx: Executor): Promise<string[]> {
    if (rows.length === 0) return []
    const { users } = this.#store.tables
    const inserted = await tx.insert(users).values(rows).onConflictDoNothing().returning({ id: users.id })
    return inserted.map(row => row.id)
  }

  /** Inserts a user; a taken email or username surfaces as EMAIL_TAKEN / USERNAME_TAKEN. */
  async insert (values: Tables['users']['$inferInsert'], tx: Executor): Promise<UserRow> {
    try {
      return (await tx.insert(this.#store.tables.users).values(values).returning())[0] as UserRow
    } catch (error) {
      throw uniqueViolation(error)
    }
  }
}
