/**
 * Sessions: one per login on one device. Access tokens name their session (`sid`), and a token is
 * honoured only while its session is live, so ending a session ends its tokens at once.
 */
import { randomUUID } from 'node:crypto'
import { and, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm'
import type { Executor, Prepared, Store } from '../db/index.js'
import { type Account, accountColumns } from '../db/schema.js'
import { toSessionInfo } from '../views.js'
import { type ClientInfo, storedClient } from './client.js'
import { LiveSessions } from './live-sessions.js'
import { hashRefreshToken, newRefreshToken } from './refresh-tokens.js'
import type { SessionInfo } from '../../schemas/sessions.js'

export interface SessionPolicy {
  /** Seconds a refresh token (and so an idle session) lives. */
  refreshTokenTtl: number
  /** Seconds a session may live from login, however often it is refreshed. */
  sessionMaxAge: number
  /** Seconds after a refresh during which the spent token may be presented again. */
  refreshReuseGrace: number
}

/** A session's stored methods as a token carries them. */
export function methodsOf (amr: string): string[] {
  return amr.split(' ')
}

export interface StartedSession {
  sessionId: string
  refreshToken: string
}

/** Live sessions the guard keeps in memory (SQLite), and about how many bytes their accounts may take. */
const LIVE_SESSIONS_KEPT = 10_000
const LIVE_SESSIONS_BYTES = 16 * 1024 * 1024

export class Sessions {
  readonly policy: SessionPolicy
  readonly #store: Store
  readonly #liveSession: Prepared<{ account: Account, expiresAt: Date }>
  readonly #kept: LiveSessions

  constructor (store: Store, policy: SessionPolicy) {
    this.#store = store
    this.policy = policy
    const { db, tables: { sessions, users } } = store
    const live = and(
      eq(sessions.id, sql.placeholder('sessionId')),
      eq(sessions.userId, sql.placeholder('userId')),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, sql.placeholder('now')),
      isNull(users.disabledAt)
    )
    this.#liveSession = store.prepare(
      'live_session',
      db.select({ account: accountColumns(users), expiresAt: sessions.expiresAt })
        .from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(live)
    )
    this.#kept = new LiveSessions(store.watch, LIVE_SESSIONS_KEPT, LIVE_SESSIONS_BYTES)
  }

  /**
   * Starts a session with its first refresh token, inside the caller's transaction; `amr` are the methods it
   * was signed in with (RFC 8176), carried by every access token of the session.
   */
  async start (
    userId: string, client: ClientInfo, tx: Executor, amr: readonly string[] = ['pwd']
  ): Promise<StartedSession> {
    const { sessions, refreshTokens } = this.#store.tables
    const now = Date.now()
    const sessionId = randomUUID()
    const refreshToken = newRefreshToken()
    const maxExpiresAt = now + this.policy.sessionMaxAge * 1000
    const expiresAt = Math.min(now + this.policy.refreshTokenTtl * 1000, maxExpiresAt)
    await tx.insert(sessions).values({
      id: sessionId,
      userId,
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: new Date(expiresAt),
      maxExpiresAt: new Date(maxExpiresAt),
      ...storedClient(client),
      amr: amr.join(' ')
    })
    await tx.insert(refreshTokens).values({
      tokenHash: hashRefreshToken(refreshToken),
      sessionId,
      createdAt: new Date(now),
      expiresAt: new Date(expiresAt)
    })
    return { sessionId, refreshToken }
  }

  /** Adds to the methods a session has proven: its access tokens carry them from the next refresh. */
  async addMethods (sessionId: string, methods: readonly string[], tx: Executor): Promise<void> {
    const { sessions } = this.#store.tables
    const [row] = await tx.select({ amr: sessions.amr }).from(sessions).where(eq(sessions.id, sessionId))
    if (row === undefined) return
    const amr = [...new Set([...methodsOf(row.amr), ...methods])].join(' ')
    await tx.update(sessions).set({ amr }).where(eq(sessions.id, sessionId))
  }

  /** How often the guard found a session in memory, and how often it had to read the database. */
  readonly cacheStats = { hits: 0, misses: 0 }

  /**
   * The user of a live session kept in memory, known at once; undefined when none is kept, or when the engine
   * must first hear of other instances' changes (PostgreSQL): then ask `liveUser`.
   */
  keptUser (sessionId: string, userId: string, now = Date.now()): Account | undefined {
    if (this.#store.watch.sync !== undefined) return undefined
    const account = this.#kept.get(sessionId, userId, now)
    if (account === undefined) this.cacheStats.misses++
    else this.cacheStats.hits++
    return account
  }

  /** The user of a live session, kept or as the database has it now; undefined when the session or user is not live. */
  async liveUser (sessionId: string, userId: string, now = Date.now()): Promise<Account | undefined> {
    const { watch } = this.#store
    if (watch.sync !== undefined && this.#kept.holds(sessionId)) {
      // Every change committed before this check, by any instance, is heard first; while the watch is down
      // nothing is kept, and the database is read.
      const synced = await watch.sync().then(() => true, () => false)
      const kept = synced ? this.#kept.get(sessionId, userId, now) : undefined
      if (kept !== undefined) {
        this.cacheStats.hits++
        return kept
      }
    }
    if (watch.sync !== undefined) this.cacheStats.misses++
    const readAt = watch.generation
    const rows = this.#liveSession({ sessionId, userId, now: this.#store.time(now) })
    // SQLite answers synchronously: kept in the same run as read, before any change can slip in.
    const [row] = Array.isArray(rows) ? rows : await rows
    if (row !== undefined) this.#kept.keep(sessionId, row.expiresAt.getTime(), row.account, readAt)
    return row?.account
  }

  /** Whether the session exists, belongs to the user, and is live, as read inside `tx`. */
  async isLive (sessionId: string, userId: string, tx: Executor): Promise<boolean> {
    const { sessions, users } = this.#store.tables
    const rows = await tx.select({ id: sessions.id }).from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()), isNull(users.disabledAt)))
    return rows.length > 0
  }

  /** Ends a live session (of `userId`, when given); false when there is no such live session. */
  async revoke (sessionId: string, options: { userId?: string, now?: number } = {}, tx?: Executor): Promise<boolean> {
    const { sessions } = this.#store.tables
    const now = new Date(options.now ?? Date.now())
    const revoke = (db: Executor) => db.update(sessions).set({ revokedAt: now })
      .where(and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        options.userId === undefined ? undefined : eq(sessions.userId, options.userId)
      ))
    return this.#store.changes(tx === undefined ? await this.#store.write(revoke) : await revoke(tx)) > 0
  }

  /** Ends every session of a user, or every one but `except`; returns how many. */
  async revokeAll (userId: string, options: { except?: string } = {}, tx?: Executor): Promise<number> {
    const { sessions } = this.#store.tables
    const revoke = (db: Executor) => db.update(sessions).set({ revokedAt: new Date() })
      .where(and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.except === undefined ? undefined : ne(sessions.id, options.except)
      ))
    return this.#store.changes(tx === undefined ? await this.#store.write(revoke) : await revoke(tx))
  }

  /** Deletes ended sessions and expired unspent tokens; spent ones stay while their session lives, to detect reuse. */
  async prune (now = Date.now()): Promise<{ sessions: number, refreshTokens: number }> {
    const { sessions, refreshTokens } = this.#store.tables
    const ended = or(isNotNull(sessions.revokedAt), lte(sessions.expiresAt, new Date(now)))
    const { changes } = this.#store
    return this.#store.transaction(async tx => {
      const refreshTokensDeleted = changes(await tx.delete(refreshTokens).where(or(
        and(isNull(refreshTokens.usedAt), lte(refreshTokens.expiresAt, new Date(now))),
        inArray(refreshTokens.sessionId, tx.select({ id: sessions.id }).from(sessions).where(ended))
      )))
      const sessionsDeleted = changes(await tx.delete(sessions).where(ended))
      return { sessions: sessionsDeleted, refreshTokens: refreshTokensDeleted }
    })
  }

  /** A user's live sessions, most recently used first; `current` marks the one of the request. */
  async list (userId: string, currentSessionId: string): Promise<SessionInfo[]> {
    const { sessions } = this.#store.tables
    const rows = await this.#store.db.select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip
    })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt))
    return rows.map(row => toSessionInfo(row, currentSessionId))
  }
}
