/**
 * Sessions: one per login on one device. Access tokens name their session (`sid`), and a token
 * is honoured only while its session is live, so ending a session ends its tokens at once.
 * Refresh tokens rotate at every use; a spent one presented again after the grace window is
 * taken as theft and ends the whole session.
 */
import { randomUUID } from 'node:crypto'
import { and, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm'
import type { Executor, Prepared, Store } from './db/index.js'
import { type Account, accountColumns } from './db/schema.js'
import { InvalidRefreshToken, RefreshTokenReused } from './errors.js'
import { LiveSessions } from './live-sessions.js'
import { childRefreshToken, hashRefreshToken, newRefreshToken } from './tokens.js'

/** Who started a session, for the user's list of their devices. */
export interface ClientInfo {
  userAgent?: string
  ip?: string
}

export interface SessionPolicy {
  /** Seconds a refresh token (and so an idle session) lives. */
  refreshTokenTtl: number
  /** Seconds a session may live from login, however often it is refreshed. */
  sessionMaxAge: number
  /** Seconds after a refresh during which the spent token may be presented again. */
  refreshReuseGrace: number
}

export interface StartedSession {
  sessionId: string
  refreshToken: string
}

export interface RefreshedSession extends StartedSession {
  account: Account
}

/** What a refresh came to: a new token, or the detection of a spent token's reuse (the session is then ended). */
export type RefreshOutcome = RefreshedSession | { reused: { id: string, userId: string } }

export interface SessionView {
  id: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  userAgent: string | null
  ip: string | null
}

/** Stored user agents are capped: they are informational, and headers can be long. */
const USER_AGENT_MAX = 512

/** How many live sessions the guard keeps in memory (SQLite), and about how many bytes their accounts may take. */
const LIVE_SESSIONS_KEPT = 10_000
const LIVE_SESSIONS_BYTES = 16 * 1024 * 1024

interface TokenRow {
  token: { usedAt: Date | null, expiresAt: Date }
  session: { id: string, userId: string, revokedAt: Date | null, expiresAt: Date, maxExpiresAt: Date }
  account: Account
}

export class Sessions {
  readonly #store: Store
  readonly #policy: SessionPolicy
  /** The key that derives each refresh token's successor. */
  readonly #refreshKey: string
  readonly #liveSession: Prepared<{ account: Account, expiresAt: Date }>
  readonly #byRefreshToken: Prepared<TokenRow>
  /** The live sessions recently looked up; undefined on PostgreSQL, where every look-up reads the database. */
  readonly #kept?: LiveSessions

  constructor (store: Store, policy: SessionPolicy, refreshKey: string) {
    this.#store = store
    this.#policy = policy
    this.#refreshKey = refreshKey
    const { db, tables: { sessions, users } } = store
    const live = and(
      eq(sessions.id, sql.placeholder('sessionId')),
      eq(sessions.userId, sql.placeholder('userId')),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, sql.placeholder('now')),
      isNull(users.disabledAt)
    )
    // The guard's only query: one primary-key look-up joined to its user's public columns.
    this.#liveSession = store.prepare('live_session', db.select({ account: accountColumns(users), expiresAt: sessions.expiresAt })
      .from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(live))
    if (store.watch !== undefined) this.#kept = new LiveSessions(store.watch, LIVE_SESSIONS_KEPT, LIVE_SESSIONS_BYTES)
    this.#byRefreshToken = store.prepare('session_by_refresh_token', this.#tokenQuery(db).where(eq(this.#store.tables.refreshTokens.tokenHash, sql.placeholder('tokenHash'))))
  }

  /** A refresh token's row with its session and its user. */
  #tokenQuery (db: Executor) {
    const { refreshTokens, sessions, users } = this.#store.tables
    return db.select({ token: refreshTokens, session: sessions, account: accountColumns(users) })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
  }

  /** Starts a session with its first refresh token; meant to run inside the caller's transaction. */
  async start (executor: Executor, userId: string, client: ClientInfo, now = Date.now()): Promise<StartedSession> {
    const { sessions, refreshTokens } = this.#store.tables
    const sessionId = randomUUID()
    const refreshToken = newRefreshToken()
    const maxExpiresAt = now + this.#policy.sessionMaxAge * 1000
    const expiresAt = Math.min(now + this.#policy.refreshTokenTtl * 1000, maxExpiresAt)
    await executor.insert(sessions).values({
      id: sessionId,
      userId,
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: new Date(expiresAt),
      maxExpiresAt: new Date(maxExpiresAt),
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX),
      ip: client.ip
    })
    await executor.insert(refreshTokens).values({
      tokenHash: hashRefreshToken(refreshToken),
      sessionId,
      createdAt: new Date(now),
      expiresAt: new Date(expiresAt)
    })
    return { sessionId, refreshToken }
  }

  /**
   * Exchanges a refresh token for its successor and slides the session's expiry (never past its
   * maximum age). Within the grace window a spent token yields the same successor again, so
   * concurrent refreshes advance the session once; after it, reuse ends the session.
   */
  async refresh (token: string, record?: (tx: Executor, outcome: RefreshOutcome) => Promise<void>, now = Date.now()): Promise<RefreshedSession> {
    // Read and write in one transaction, so a logout or a disable in between cannot be missed;
    // `record` writes the audit event in it too. The outcome is returned, not thrown, so that a
    // theft's revocation is committed.
    const outcome = await this.#store.transaction(async tx => {
      const exchanged = await this.#exchange(tx, token, now)
      if (exchanged !== 'invalid') await record?.(tx, exchanged)
      return exchanged
    })
    if (outcome === 'invalid') throw new InvalidRefreshToken()
    if ('reused' in outcome) throw RefreshTokenReused(outcome.reused.id, outcome.reused.userId)
    return outcome
  }

  async #exchange (tx: Executor, token: string, now: number): Promise<'invalid' | RefreshOutcome> {
    const { refreshTokens, sessions } = this.#store.tables
    const tokenHash = hashRefreshToken(token)
    const [row] = await this.#tokenQuery(tx).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1)
    if (row === undefined || !this.#sessionLive(row, now)) return 'invalid'
    const { session, account } = row
    const successor = childRefreshToken(this.#refreshKey, token)
    const spentEarlier = async (usedAt: Date) => {
      if (this.#withinGrace(usedAt, now)) return { sessionId: session.id, account, refreshToken: successor }
      await this.revoke(session.id, now, undefined, tx)
      return { reused: session }
    }
    if (row.token.usedAt !== null) return await spentEarlier(row.token.usedAt)
    if (row.token.expiresAt.getTime() <= now) return 'invalid'

    const expiresAt = new Date(Math.min(now + this.#policy.refreshTokenTtl * 1000, session.maxExpiresAt.getTime()))
    // The session's row first, then its tokens': the order in which a deletion cascades, so
    // that a refresh and an admin's deletion of the user cannot deadlock each other.
    await tx.update(sessions).set({ lastUsedAt: new Date(now), expiresAt }).where(eq(sessions.id, session.id))
    // The condition makes the spend happen once even when several processes share the database.
    const spent = this.#store.changes(await tx.update(refreshTokens).set({ usedAt: new Date(now) })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt))))
    if (spent === 0) {
      // Spent meanwhile by a concurrent refresh (another instance, or another connection): the
      // same rules as a token read as spent, on the time it was spent at.
      const [spender] = await tx.select({ usedAt: refreshTokens.usedAt }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash))
      return spender?.usedAt == null ? 'invalid' : await spentEarlier(spender.usedAt)
    }
    await tx.insert(refreshTokens).values({ tokenHash: hashRefreshToken(successor), sessionId: session.id, createdAt: new Date(now), expiresAt })
      .onConflictDoNothing()
    return { sessionId: session.id, account, refreshToken: successor }
  }

  /**
   * The live session of a refresh token that could still refresh (unspent, or spent inside the
   * grace window), for logging out with it. An old spent token names nothing: it must not be
   * able to end sessions, least of all every session of the user.
   */
  async findByRefreshToken (token: string, now = Date.now()): Promise<{ sessionId: string, userId: string } | undefined> {
    const [row] = await this.#byRefreshToken({ tokenHash: hashRefreshToken(token) })
    if (row === undefined || !this.#sessionLive(row, now) || row.token.expiresAt.getTime() <= now) return undefined
    if (row.token.usedAt !== null && !this.#withinGrace(row.token.usedAt, now)) return undefined
    return { sessionId: row.session.id, userId: row.session.userId }
  }

  #sessionLive (row: { session: { revokedAt: Date | null, expiresAt: Date }, account: { disabledAt: Date | null } }, now: number): boolean {
    return row.session.revokedAt === null && row.session.expiresAt.getTime() > now && row.account.disabledAt === null
  }

  #withinGrace (usedAt: Date, now: number): boolean {
    return now - usedAt.getTime() < this.#policy.refreshReuseGrace * 1000
  }

  /** The user of a live session kept in memory (see `liveUser`); undefined when none is kept, live or not: then ask `liveUser`. */
  keptUser (sessionId: string, userId: string, now = Date.now()): Account | undefined {
    return this.#kept?.get(sessionId, userId, now)
  }

  /**
   * The user of a live session, as the database has it now, or undefined when the session is
   * unknown, revoked or expired, or its user disabled. On SQLite, a live session found is kept
   * in memory until a change to its row or its user's (see LiveSessions), for `keptUser`.
   */
  async liveUser (sessionId: string, userId: string, now = Date.now()): Promise<Account | undefined> {
    const rows = this.#liveSession({ sessionId, userId, now: this.#store.time(now) })
    // SQLite answers synchronously: the session is kept in the same run as it was read, before any change can slip in.
    if (Array.isArray(rows)) {
      const [row] = rows
      if (row !== undefined) this.#kept?.keep(sessionId, row.expiresAt.getTime(), row.account)
      return row?.account
    }
    return (await rows)[0]?.account
  }

  /** Whether the session exists, belongs to the user, and is neither revoked nor expired, as read inside the caller's transaction. */
  async isLive (executor: Executor, sessionId: string, userId: string, now = Date.now()): Promise<boolean> {
    const { sessions, users } = this.#store.tables
    const rows = await executor.select({ id: sessions.id }).from(sessions).innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date(now)), isNull(users.disabledAt)))
    return rows.length > 0
  }

  /** Ends a live session (of `userId`, when given); false when there is no such live session. */
  async revoke (sessionId: string, now = Date.now(), userId?: string, executor?: Executor): Promise<boolean> {
    const { sessions } = this.#store.tables
    const revoke = (db: Executor) => db.update(sessions).set({ revokedAt: new Date(now) })
      .where(and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date(now)),
        userId === undefined ? undefined : eq(sessions.userId, userId)
      ))
    return this.#store.changes(executor === undefined ? await this.#store.write(revoke) : await revoke(executor)) > 0
  }

  /** Ends every session of a user, or every one but `exceptSessionId`; without an executor, in a write of its own. */
  async revokeAll (executor: Executor | undefined, userId: string, exceptSessionId?: string, now = Date.now()): Promise<number> {
    const { sessions } = this.#store.tables
    const revoke = (db: Executor) => db.update(sessions).set({ revokedAt: new Date(now) })
      .where(and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId === undefined ? undefined : ne(sessions.id, exceptSessionId)
      ))
    return this.#store.changes(executor === undefined ? await this.#store.write(revoke) : await revoke(executor))
  }

  /**
   * Deletes ended and expired sessions with their refresh tokens, and expired unspent refresh
   * tokens. Spent tokens stay while their session lives: they are what reuse is detected by.
   * A deleted session's access tokens stay refused: no live row names them.
   */
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

  /** A user's live sessions, most recently used first. */
  async list (userId: string, now = Date.now()): Promise<SessionView[]> {
    const { sessions } = this.#store.tables
    return this.#store.db.select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      ip: sessions.ip
    })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date(now))))
      .orderBy(desc(sessions.lastUsedAt))
  }
}
