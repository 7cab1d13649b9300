/** What admins do to other accounts: list, inspect, change the role, disable, delete. */
import { count, desc, eq, or, sql } from 'drizzle-orm'
import type { Database } from './db/index.js'
import { type Account, accountColumns, users } from './db/schema.js'
import { CannotModifySelf, NotFound } from './errors.js'
import type { AuthEvent, AuthEvents } from './events.js'
import type { ClientInfo, Sessions } from './sessions.js'
import { usernameKey } from './users.js'

export interface UserPage {
  users: Account[]
  total: number
}

export class Admin {
  readonly #db: Database
  readonly #sessions: Sessions
  readonly #events: AuthEvents

  constructor (db: Database, sessions: Sessions, events: AuthEvents) {
    this.#db = db
    this.#sessions = sessions
    this.#events = events
  }

  /** Newest first; `search` matches part of the email or the username, case-insensitively. */
  list (options: { page: number, limit: number, search?: string }): UserPage {
    const search = options.search?.trim()
    const where = search === undefined || search === ''
      ? undefined
      // instr() rather than LIKE: no wildcard in the search text can widen it.
      : or(sql`instr(${users.emailKey}, ${search.toLowerCase()}) > 0`, sql`instr(${users.usernameKey}, ${usernameKey(search)}) > 0`)
    const rows = this.#db.select(accountColumns).from(users).where(where)
      .orderBy(desc(users.createdAt), users.id)
      .limit(options.limit).offset((options.page - 1) * options.limit)
      .all()
    const total = this.#db.select({ total: count() }).from(users).where(where).get()?.total ?? 0
    return { users: rows, total }
  }

  get (id: string): Account {
    const user = this.#db.select(accountColumns).from(users).where(eq(users.id, id)).get()
    if (user === undefined) throw new NotFound('User')
    return user
  }

  /** Changes a user's role and ends their sessions, so no token carries the old role. */
  setRole (actorId: string, id: string, role: string, client: ClientInfo): Account {
    if (actorId === id) throw new CannotModifySelf('change the role of')
    return this.#update(id, { role, updatedAt: new Date() }, true, { type: 'role_change', actorId, reason: `role: ${role}`, client })
  }

  /** Disabling ends the user's sessions at once; a disabled user can neither log in nor refresh. */
  setDisabled (actorId: string, id: string, disabled: boolean, client: ClientInfo): Account {
    if (actorId === id) throw new CannotModifySelf(disabled ? 'disable' : 'enable')
    return this.#update(id, { disabledAt: disabled ? new Date() : null, updatedAt: new Date() }, disabled,
      { type: disabled ? 'user_disabled' : 'user_enabled', actorId, client })
  }

  /** Deletes a user; their sessions and refresh tokens go with them, their audit trail stays. */
  delete (actorId: string, id: string, client: ClientInfo): void {
    if (actorId === id) throw new CannotModifySelf('delete')
    this.#db.transaction(tx => {
      const deleted = tx.delete(users).where(eq(users.id, id)).run()
      if (deleted.changes === 0) throw new NotFound('User')
      this.#events.record({ type: 'user_deleted', userId: id, actorId, client }, tx)
    })
  }

  #update (id: string, values: Partial<typeof users.$inferInsert>, endSessions: boolean, event: Omit<AuthEvent, 'userId'>): Account {
    return this.#db.transaction(tx => {
      const user = tx.update(users).set(values).where(eq(users.id, id)).returning(accountColumns).get()
      if (user === undefined) throw new NotFound('User')
      if (endSessions) this.#sessions.revokeAll(tx, id)
      this.#events.record({ ...event, userId: id }, tx)
      return user
    })
  }
}
