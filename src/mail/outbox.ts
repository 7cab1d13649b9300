/**
 * The outbox table: messages stored with the change that needs them, taken one at a time by a sender.
 * A row is taken (`claimed_at`) before it is sent and marked `sent_at` after: one taken and never marked
 * was perhaps sent, and is never taken again, so no message goes out twice.
 */
import { randomUUID } from 'node:crypto'
import { and, count, eq, isNotNull, isNull, lt, min, or, sql } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Executor, Store } from '../db/index.js'
import type { MailRow } from '../db/schema.js'
import type { RenderedMessage } from './templates.js'

export interface Backlog {
  /** Messages waiting to be sent: new, or to be retried. */
  pending: number
  /** Seconds since the oldest of them was stored; null when none waits. */
  oldestPendingSeconds: number | null
}

export interface NewMessage extends RenderedMessage {
  to: string
  purpose: string
  userId?: string
}

export class Outbox {
  readonly #store: Store
  readonly #events: AuthEvents

  constructor (store: Store, events: AuthEvents) {
    this.#store = store
    this.#events = events
  }

  /** Deletes the messages sent or given up before `before`: the codes in them have expired by then. */
  async prune (before: Date): Promise<number> {
    const { mailOutbox } = this.#store.tables
    return this.#store.changes(await this.#store.write(db => db.delete(mailOutbox)
      .where(or(lt(mailOutbox.sentAt, before), lt(mailOutbox.failedAt, before)))))
  }

  /** Stores a message in the caller's transaction, due at once. */
  async add (message: NewMessage, tx: Executor, now = Date.now()): Promise<void> {
    await tx.insert(this.#store.tables.mailOutbox).values({
      id: randomUUID(),
      recipient: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      purpose: message.purpose,
      userId: message.userId ?? null,
      createdAt: new Date(now),
      nextAttemptAt: new Date(now)
    })
  }

  /**
   * Takes the message due first, if any, in one statement. On PostgreSQL, SKIP LOCKED lets instances
   * take different rows at once, none the same; SQLite has one writer, which is enough.
   */
  async claim (now = Date.now()): Promise<MailRow | undefined> {
    const { mailOutbox: outbox } = this.#store.tables
    const lock = this.#store.dialect === 'postgres' ? sql` FOR UPDATE SKIP LOCKED` : sql``
    const due = sql`SELECT ${sql.identifier('id')} FROM ${outbox}
      WHERE ${outbox.claimedAt} IS NULL AND ${outbox.sentAt} IS NULL AND ${outbox.failedAt} IS NULL
        AND ${outbox.nextAttemptAt} <= ${this.#store.time(now)}
      ORDER BY ${outbox.nextAttemptAt} LIMIT 1${lock}`
    const [row] = await this.#store.write(db => db.update(outbox)
      .set({ claimedAt: new Date(now), attempts: sql`${outbox.attempts} + 1` })
      .where(sql`${outbox.id} = (${due})`)
      .returning())
    return row
  }

  async sent (id: string, now = Date.now()): Promise<void> {
    const { mailOutbox: outbox } = this.#store.tables
    await this.#store.write(db => db.update(outbox).set({ sentAt: new Date(now), lastError: null })
      .where(eq(outbox.id, id)))
  }

  /** Puts a message back, to be taken again at `at`. */
  async retry (id: string, error: string, at: number): Promise<void> {
    const { mailOutbox: outbox } = this.#store.tables
    await this.#store.write(db => db.update(outbox)
      .set({ claimedAt: null, nextAttemptAt: new Date(at), lastError: error })
      .where(eq(outbox.id, id)))
  }

  /** Gives a message up, with a `mail_failed` event in the same transaction. */
  async fail (row: MailRow, error: string, reason: string, now = Date.now()): Promise<void> {
    const { mailOutbox: outbox } = this.#store.tables
    await this.#store.transaction(async tx => {
      await tx.update(outbox).set({ failedAt: new Date(now), lastError: error }).where(eq(outbox.id, row.id))
      await this.#events.record(failedEvent(row, reason), tx)
    })
  }

  /**
   * Gives up the messages taken before `before` and never marked sent nor put back: their sender stopped
   * mid-send, so they may have gone out, and are not sent again. Returns them.
   */
  async failStale (before: number, now = Date.now()): Promise<MailRow[]> {
    const { mailOutbox: outbox } = this.#store.tables
    return await this.#store.transaction(async tx => {
      const rows = await tx.update(outbox)
        .set({ failedAt: new Date(now), lastError: 'interrupted while being sent: perhaps sent, not sent again' })
        .where(and(isNotNull(outbox.claimedAt), lt(outbox.claimedAt, new Date(before)),
          isNull(outbox.sentAt), isNull(outbox.failedAt)))
        .returning()
      for (const row of rows) await this.#events.record(failedEvent(row, 'interrupted'), tx)
      return rows
    })
  }

  /** One query on the pending messages' partial index (mail_outbox_pending_idx): cheap enough for /health. */
  async backlog (now = Date.now()): Promise<Backlog> {
    const { mailOutbox: outbox } = this.#store.tables
    const [row] = await this.#store.db.select({ pending: count(), oldest: min(outbox.createdAt) }).from(outbox)
      .where(and(isNull(outbox.claimedAt), isNull(outbox.sentAt), isNull(outbox.failedAt)))
    const oldest = row?.oldest ?? null
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingSeconds: oldest === null ? null : Math.max(0, Math.floor((now - new Date(oldest).getTime()) / 1000))
    }
  }
}

function failedEvent (row: MailRow, reason: string) {
  return { type: 'mail_failed' as const, userId: row.userId, reason: `${row.purpose}: ${reason}` }
}
