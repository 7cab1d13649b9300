/** The audit trail of what happens to accounts and sessions, for admins to read. */
import { and, count, desc, eq, lt, type SQL } from 'drizzle-orm'
import type { Executor, Store } from '../db/index.js'
import { type ClientInfo, storedClient } from '../sessions/client.js'
import { toEventView } from '../views.js'
import type { AuthEventView, EventType } from '../../schemas/events.js'

export interface AuthEvent {
  type: EventType
  userId?: string | null
  sessionId?: string | null
  actorId?: string | null
  reason?: string | null
  client?: ClientInfo
}

function row (event: AuthEvent) {
  return {
    type: event.type,
    userId: event.userId ?? null,
    sessionId: event.sessionId ?? null,
    actorId: event.actorId ?? null,
    reason: event.reason ?? null,
    ...storedClient(event.client),
    createdAt: new Date()
  }
}

/**
 * Told of each event once it is written (inside the caller's transaction, which may still roll back).
 * It runs on the request's path: it must be cheap, and must not throw.
 */
export type EventObserver = (event: AuthEvent) => void

export class AuthEvents {
  readonly #store: Store
  readonly #observers: EventObserver[] = []

  constructor (store: Store) {
    this.#store = store
  }

  /** Adds an observer of every event recorded from now on (the metrics count them). */
  observe (observer: EventObserver): void {
    this.#observers.push(observer)
  }

  /** Records one event; inside `tx` when given, so that it commits with the change it records. */
  async record (event: AuthEvent, tx?: Executor): Promise<void> {
    const insert = (db: Executor) => db.insert(this.#store.tables.authEvents).values(row(event))
    await (tx === undefined ? this.#store.write(insert) : insert(tx))
    for (const observer of this.#observers) observer(event)
  }

  /** Records many events in one statement, inside `tx`: an import's batch, one event per account. */
  async recordMany (events: AuthEvent[], tx: Executor): Promise<void> {
    if (events.length === 0) return
    await tx.insert(this.#store.tables.authEvents).values(events.map(event => row(event)))
    for (const observer of this.#observers) for (const event of events) observer(event)
  }

  /** Newest first, optionally of one user or one type. */
  async list (
    options: { page: number, limit: number, userId?: string, type?: EventType }
  ): Promise<{ events: AuthEventView[], total: number }> {
    const { db, tables: { authEvents } } = this.#store
    const filters: SQL[] = []
    if (options.userId !== undefined) filters.push(eq(authEvents.userId, options.userId))
    if (options.type !== undefined) filters.push(eq(authEvents.type, options.type))
    const where = and(...filters)
    const events = await db.select().from(authEvents).where(where)
      .orderBy(desc(authEvents.createdAt), desc(authEvents.id))
      .limit(options.limit).offset((options.page - 1) * options.limit)
    const [counted] = await db.select({ total: count() }).from(authEvents).where(where)
    return { events: events.map(toEventView), total: counted?.total ?? 0 }
  }

  /** Deletes events older than `retentionSeconds`; returns how many. */
  async prune (retentionSeconds: number, now = Date.now()): Promise<number> {
    const { authEvents } = this.#store.tables
    const old = lt(authEvents.createdAt, new Date(now - retentionSeconds * 1000))
    return this.#store.changes(await this.#store.write(db => db.delete(authEvents).where(old)))
  }
}
