/** The audit trail of what happens to accounts and sessions, for admins to read. */
import { and, count, desc, eq, lt, type SQL } from 'drizzle-orm'
import type { Executor, Store } from './db/index.js'
import type { authEvents } from './db/schema.js'
import type { ClientInfo } from './sessions.js'

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
  'role_change',
  'user_disabled',
  'user_enabled',
  'user_deleted'
] as const
export type EventType = typeof EVENT_TYPES[number]

export interface AuthEvent {
  type: EventType
  userId?: string | null
  sessionId?: string | null
  actorId?: string | null
  reason?: string | null
  client?: ClientInfo
}

export type StoredEvent = typeof authEvents.$inferSelect

/** Stored user agents are capped, as for sessions. */
const USER_AGENT_MAX = 512

export class AuthEvents {
  readonly #store: Store

  constructor (store: Store) {
    this.#store = store
  }

  /** Records one event; inside the caller's transaction when one is given, so both commit together. */
  async record (event: AuthEvent, executor?: Executor, now = Date.now()): Promise<void> {
    const insert = (db: Executor) => db.insert(this.#store.tables.authEvents).values({
      type: event.type,
      userId: event.userId ?? null,
      sessionId: event.sessionId ?? null,
      actorId: event.actorId ?? null,
      reason: event.reason ?? null,
      ip: event.client?.ip ?? null,
      userAgent: event.client?.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      createdAt: new Date(now)
    })
    await (executor === undefined ? this.#store.write(insert) : insert(executor))
  }

  /** Newest first, optionally of one user or one type. */
  async list (options: { page: number, limit: number, userId?: string, type?: EventType }): Promise<{ events: StoredEvent[], total: number }> {
    const { db, tables: { authEvents } } = this.#store
    const filters: SQL[] = []
    if (options.userId !== undefined) filters.push(eq(authEvents.userId, options.userId))
    if (options.type !== undefined) filters.push(eq(authEvents.type, options.type))
    const where = and(...filters)
    const events = await db.select().from(authEvents).where(where)
      .orderBy(desc(authEvents.createdAt), desc(authEvents.id))
      .limit(options.limit).offset((options.page - 1) * options.limit)
    const [counted] = await db.select({ total: count() }).from(authEvents).where(where)
    return { events, total: counted?.total ?? 0 }
  }

  /** Deletes events older than `retentionSeconds`; returns how many. */
  async prune (retentionSeconds: number, now = Date.now()): Promise<number> {
    const { authEvents } = this.#store.tables
    return this.#store.changes(await this.#store.write(db => db.delete(authEvents).where(lt(authEvents.createdAt, new Date(now - retentionSeconds * 1000)))))
  }
}
