/** What admins do to other accounts: list, inspect, change the role, disable, delete, reset the second factor. */
import { count, desc, eq, or, sql } from 'drizzle-orm'
import type { Executor, Store, Tables } from '../db/index.js'
import { accountColumns } from '../db/schema.js'
import { CannotModifySelf, Forbidden, InvalidToken, MfaConflict, NotFound } from '../errors.js'
import type { AuthEvent, AuthEvents } from '../audit/events.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import { toAdminUser } from '../views.js'
import { usernameKey } from './identity.js'
import type { AdminUser } from '../../schemas/admin.js'
import { ADMIN_ROLE } from '../../schemas/common.js'

/** Taken by every admin action, so that two admins acting on each other at once act one after the other. */
const ADMIN_ACTIONS_LOCK = 'admin_actions'

export interface UserPage {
  users: AdminUser[]
  total: number
}

/** Turns a user's second factor off inside an admin action's transaction; false when it was off. */
type ResetMfa = (userId: string, actorId: string, client: ClientInfo, tx: Executor) => Promise<boolean>

export class Admin {
  readonly #store: Store
  readonly #sessions: Sessions
  readonly #events: AuthEvents
  readonly #resetMfa: ResetMfa

  constructor (store: Store, sessions: Sessions, events: AuthEvents, resetMfa: ResetMfa) {
    this.#store = store
    this.#sessions = sessions
    this.#events = events
    this.#resetMfa = resetMfa
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
  async setRole (actor: Actor, id: string, role: string, client: ClientInfo): Promise<AdminUser> {
    if (actor.userId === id) throw new CannotModifySelf('change the role of')
    const event = { type: 'role_change', actorId: actor.userId, reason: `role: ${role}`, client } as const
    return this.#update(actor, id, { role, updatedAt: new Date() }, true, event)
  }

  /** Disabling ends the user's sessions at once; a disabled user can neither log in nor refresh. */
  async setDisabled (actor: Actor, id: string, disabled: boolean, client: ClientInfo): Promise<AdminUser> {
    if (actor.userId === id) throw new CannotModifySelf(disabled ? 'disable' : 'enable')
    const event = { type: disabled ? 'user_disabled' : 'user_enabled', actorId: actor.userId, client } as const
    return this.#update(actor, id, { disabledAt: disabled ? new Date() : null, updatedAt: new Date() }, disabled, event)
  }

  /** Deletes a user; their sessions and refresh tokens go with them, their audit trail stays. */
  async delete (actor: Actor, id: string, client: ClientInfo): Promise<void> {
    if (actor.userId === id) throw new CannotModifySelf('delete')
    const { users } = this.#store.tables
    await this.#act(actor, async tx => {
      if (this.#store.changes(await tx.delete(users).where(eq(users.id, id))) === 0) throw new NotFound('User')
      await this.#events.record({ type: 'user_deleted', userId: id, actorId: actor.userId, client }, tx)
    })
  }

  /** Turns off the second factor of a user who lost it, and ends their sessions. */
  async resetMfa (actor: Actor, id: string, client: ClientInfo): Promise<void> {
    if (actor.userId === id) throw new CannotModifySelf('reset the two-factor sign-in of')
    const { users } = this.#store.tables
    await this.#act(actor, async tx => {
      const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, id))
      if (user === undefined) throw new NotFound('User')
      if (!await this.#resetMfa(id, actor.userId, client, tx)) {
        throw new MfaConflict('Two-factor sign-in is already off for this user')
      }
    })
  }

  #update (actor: Actor, id: string, values: Partial<Tables['users']['$inferInsert']>, endSessions: boolean,
    event: Omit<AuthEvent, 'userId'>): Promise<AdminUser> {
    const { users } = this.#store.tables
    return this.#act(actor, async tx => {
      const [user] = await tx.update(users).set(values).where(eq(users.id, id)).returning(accountColumns(users))
      if (user === undefined) throw new NotFound('User')
      if (endSessions) await this.#sessions.revokeAll(id, {}, tx)
      await this.#events.record({ ...event, userId: id }, tx)
      return toAdminUser(user)
    })
  }

  /**
   * Runs an admin action in a transaction that first checks, under the admin actions' lock, that the
   * actor is still an enabled admin of a live session: the guard's check was made before, and another
   * admin may have demoted, disabled or deleted them since (two admins deleting each other at once).
   */
  #act<T> (actor: Actor, work: (tx: Executor) => Promise<T>): Promise<T> {
    const { users } = this.#store.tables
    return this.#store.transaction(async tx => {
      const [current] = await tx.select({ role: users.role }).from(users).where(eq(users.id, actor.userId)).limit(1)
      const live = current !== undefined && await this.#sessions.isLive(actor.sessionId, actor.userId, tx)
      if (!live) throw new InvalidToken()
      if (current?.role !== ADMIN_ROLE) throw new Forbidden(ADMIN_ROLE)
      return await work(tx)
    }, { lock: ADMIN_ACTIONS_LOCK })
  }
}
