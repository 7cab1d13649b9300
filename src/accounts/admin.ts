/** What admins do to other accounts: list, inspect, change the role, disable, delete. */
import { count, desc, eq, or, sql } from 'drizzle-orm'
import type { Store, Tables } from '../db/index.js'
import { accountColumns } from '../db/schema.js'
import { CannotModifySelf, NotFound } from '../errors.js'
import type { AuthEvent, AuthEvents } from '../audit/events.js'
import type { ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import { toAdminUser } from '../views.js'
import { usernameKey } from './identity.js'
import type { AdminUser } from '../../schemas/admin.js'

export interface UserPage {
  users: AdminUser[]
  total: number
}

export class Admin {
  readonly #store: Store
  readonly #sessions: Sessions
  readonly #events: AuthEvents

  constructor (store: Store, sessions: Sessions, events: AuthEvents) {
    this.#store = store
    this.#sessions = sessions
    this.#events = events
  }

  /** Newest first; `search` matches part of the email or the username, case-insensitively. */
  async list (options: { page: number, limit: number, search?: string }): Promise<UserPage> {
    const { db, dialect, tables: { users } } = this.#store
    const search = options.search?.trim()
    // A position function rather than LIKE: no wildcard in the search text can widen it.
    const position = dialect === 'postgres' ? 'strpos' : 'instr'
    const where = search === undefined || search === ''
      ? undefined
      : or(
        sql`${sql.raw(position)}(${users.emailKey}, ${search.toLowerCase()}) > 0`,
        sql`${sql.raw(position)}(${users.usernameKey}, ${usernameKey(search)}) > 0`
      )
    const rows = await db.select(accountColumns(users)).from(users).where(where)
      .orderBy(desc(users.createdAt), users.id)
      .limit(options.limit).offset((options.page - 1) * options.limit)
    const [counted] = await db.select({ total: count() }).from(users).where(where)
    return { users: rows.map(toAdminUser), total: counted?.total ?? 0 }
  }

  async get (id: string): Promise<AdminUser> {
    const { users } = this.#store.tables
    const [user] = await this.#store.db.select(accountColumns(users)).from(users)
      .where(eq(users.id, id)).limit(1)
    if (user === undefined) throw new NotFound('User')
    return toAdminUser(user)
  }

  /** Changes a user's role and ends their sessions, so no token carries the old role. */
  async setRole (actorId: string, id: string, role: string, client: ClientInfo): Promise<AdminUser> {
    if (actorId === id) throw new CannotModifySelf('change the role of')
    return this.#update(
      id, { role, updatedAt: new Date() }, true, { type: 'role_change', actorId, reason: `role: ${role}`, client }
    )
  }

  /** Disabling ends the user's sessions at once; a disabled user can neither log in nor refresh. */
  async setDisabled (actorId: string, id: string, disabled: boolean, client: ClientInfo): Promise<AdminUser> {
    if (actorId === id) throw new CannotModifySelf(disabled ? 'disable' : 'enable')
    return this.#update(id, { disabledAt: disabled ? new Date() : null, updatedAt: new Date() }, disabled,
      { type: disabled ? 'user_disabled' : 'user_enabled', actorId, client })
  }

  /** Deletes a user; their sessions and refresh tokens go with them, their audit trail stays. */
  async delete (actorId: string, id: string, client: ClientInfo): Promise<void> {
    if (actorId === id) throw new CannotModifySelf('delete')
    const { users } = this.#store.tables
    await this.#store.transaction(async tx => {
      if (this.#store.changes(await tx.delete(users).where(eq(users.id, id))) === 0) throw new NotFound('User')
      await this.#events.record({ type: 'user_deleted', userId: id, actorId, client }, tx)
    })
  }

  #update (id: string, values: Partial<Tables['users']['$inferInsert']>, endSessions: boolean,
    event: Omit<AuthEvent, 'userId'>): Promise<AdminUser> {
    const { users } = this.#store.tables
    return this.#store.transaction(async tx => {
      const [user] = await tx.update(users).set(values).where(eq(users.id, id)).returning(accountColumns(users))
      if (user === undefined) throw new NotFound('User')
      if (endSessions) await this.#sessions.revokeAll(id, {}, tx)
      await this.#events.record({ ...event, userId: id }, tx)
      return toAdminUser(user)
    })
  }
}
