/**
 * The live sessions the guard has recently looked up, with their users' accounts: what spares
 * an authenticated request its query. A revocation must take effect at once, so nothing here
 * expires by time alone: an entry goes when the data layer reports a change to its session's or
 * its user's row (see `RowWatch`), the moment the statement runs, and everything goes when
 * another process commits to the database. Only live sessions are kept; a refused token is
 * looked up again every time.
 */
import type { RowChange, RowWatch } from './db/index.js'
import type { Account } from './db/schema.js'

interface Entry {
  userId: string
  /** When the session expires unless refreshed (a refresh changes its row, and so drops the entry). */
  expiresAt: number
  account: Account
}

export class LiveSessions {
  readonly #watch: RowWatch
  readonly #capacity: number
  /** By session id, oldest first. */
  readonly #entries = new Map<string, Entry>()
  /** The session ids kept for each user, so a change to the user drops them all. */
  readonly #byUser = new Map<string, Set<string>>()

  constructor (watch: RowWatch, capacity: number) {
    this.#watch = watch
    this.#capacity = capacity
    watch.listen(change => this.#forget(change))
  }

  get size (): number {
    return this.#entries.size
  }

  /** The account of a kept live session of `userId`; undefined when none is kept. */
  get (sessionId: string, userId: string, now: number): Account | undefined {
    this.#watch.catchUp()
    const entry = this.#entries.get(sessionId)
    if (entry === undefined || entry.userId !== userId) return undefined
    if (entry.expiresAt <= now) {
      this.#drop(sessionId)
      return undefined
    }
    return entry.account
  }

  /**
   * Keeps a live session just read. To be called in the same synchronous run as the read: a
   * change made in between would not be seen. Nothing is kept while a transaction is open, as
   * the read may have seen its uncommitted writes.
   */
  keep (sessionId: string, expiresAt: number, account: Account): void {
    if (!this.#watch.settled()) return
    if (this.#entries.has(sessionId)) this.#drop(sessionId)
    else if (this.#entries.size >= this.#capacity) this.#drop(this.#entries.keys().next().value as string)
    // Shared by every request of the session until it goes: frozen, so none can alter another's.
    Object.freeze(account.metadata)
    this.#entries.set(sessionId, { userId: account.id, expiresAt, account: Object.freeze(account) })
    let sessions = this.#byUser.get(account.id)
    if (sessions === undefined) this.#byUser.set(account.id, sessions = new Set())
    sessions.add(sessionId)
  }

  #forget (change: RowChange): void {
    if (change.table === '*') {
      this.#entries.clear()
      this.#byUser.clear()
    } else if (change.table === 'sessions') {
      this.#drop(change.id)
    } else {
      for (const sessionId of this.#byUser.get(change.id) ?? []) this.#entries.delete(sessionId)
      this.#byUser.delete(change.id)
    }
  }

  #drop (sessionId: string): void {
    const entry = this.#entries.get(sessionId)
    if (entry === undefined) return
    this.#entries.delete(sessionId)
    const sessions = this.#byUser.get(entry.userId)
    sessions?.delete(sessionId)
    if (sessions?.size === 0) this.#byUser.delete(entry.userId)
  }
}
