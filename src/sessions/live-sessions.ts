/**
 * The live sessions the guard has recently looked up, with their accounts. A revocation must take effect at
 * once, so an entry goes the moment the data layer reports a change to its session's or user's row, and
 * everything goes when another process has committed (see `RowWatch`). Only live sessions are kept: a
 * refused token is looked up again every time.
 */
import type { RowChange, RowWatch } from '../db/index.js'
import type { Account } from '../db/schema.js'

interface KeptUser {
  account: Account
  bytes: number
  /** Each kept session's expiry (a refresh changes its row, and so drops it). */
  sessions: Map<string, number>
}

/** What a kept session costs beside its account, and an account beside its metadata: estimates. */
const SESSION_BYTES = 200
const ACCOUNT_BYTES = 1024

export class LiveSessions {
  readonly #watch: RowWatch
  readonly #capacity: number
  readonly #budget: number
  /** The user of each kept session, oldest first. */
  readonly #sessions = new Map<string, string>()
  readonly #users = new Map<string, KeptUser>()
  #bytes = 0

  /** At most `capacity` sessions, and accounts of about `budget` bytes in all: metadata may be large. */
  constructor (watch: RowWatch, capacity: number, budget: number) {
    this.#watch = watch
    this.#capacity = capacity
    this.#budget = budget
    watch.listen(change => this.#forget(change))
  }

  get size (): { sessions: number, bytes: number } {
    return { sessions: this.#sessions.size, bytes: this.#bytes }
  }

  /** Whether anything is kept for the session, fresh or not: when not, there is nothing to bring up to date. */
  holds (sessionId: string): boolean {
    return this.#sessions.has(sessionId)
  }

  /** The account of a kept live session of `userId`; undefined when none is kept. */
  get (sessionId: string, userId: string, now: number): Account | undefined {
    this.#watch.catchUp()
    if (this.#sessions.get(sessionId) !== userId) return undefined
    const user = this.#users.get(userId) as KeptUser
    if ((user.sessions.get(sessionId) as number) <= now) {
      this.#drop(sessionId)
      return undefined
    }
    return user.account
  }

  /**
   * Keeps a live session read when the watch had told `readAt` changes: if it has told any since, the row
   * may be older than a change already told, and is not kept. Nor while the watch cannot be trusted
   * (`settled`): a transaction open on SQLite's one connection, or PostgreSQL's listener down.
   */
  keep (sessionId: string, expiresAt: number, account: Account, readAt: number): void {
    if (!this.#watch.settled() || this.#watch.generation !== readAt) return
    this.#drop(sessionId)
    // Shared by every request of the user's sessions: frozen, so none can alter another's.
    Object.freeze(account.metadata)
    Object.freeze(account)
    const bytes = ACCOUNT_BYTES + 2 * JSON.stringify(account.metadata).length
    let user = this.#users.get(account.id)
    if (user === undefined) {
      this.#users.set(account.id, user = { account, bytes, sessions: new Map() })
      this.#bytes += bytes
    } else {
      // As read just now: no older than the one kept, whose changes would have dropped it.
      this.#bytes += bytes - user.bytes
      user.account = account
      user.bytes = bytes
    }
    user.sessions.set(sessionId, expiresAt)
    this.#sessions.set(sessionId, account.id)
    this.#bytes += SESSION_BYTES
    while (this.#sessions.size > this.#capacity || this.#bytes > this.#budget) {
      this.#drop(this.#sessions.keys().next().value as string)
    }
  }

  #forget (change: RowChange): void {
    if (change.table === '*') {
      this.#sessions.clear()
      this.#users.clear()
      this.#bytes = 0
    } else if (change.table === 'sessions') {
      this.#drop(change.id)
    } else {
      const user = this.#users.get(change.id)
      if (user === undefined) return
      for (const sessionId of user.sessions.keys()) this.#sessions.delete(sessionId)
      this.#bytes -= user.bytes + user.sessions.size * SESSION_BYTES
      this.#users.delete(change.id)
    }
  }

  #drop (sessionId: string): void {
    const userId = this.#sessions.get(sessionId)
    if (userId === undefined) return
    this.#sessions.delete(sessionId)
    const user = this.#users.get(userId) as KeptUser
    user.sessions.delete(sessionId)
    this.#bytes -= SESSION_BYTES
    if (user.sessions.size === 0) {
      this.#users.delete(userId)
      this.#bytes -= user.bytes
    }
  }
}
