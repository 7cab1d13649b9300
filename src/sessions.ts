/**
 * Sessions: one per login on one device. Access tokens name their session (`sid`), and a token
 * is honoured only while its session is live, so ending a session ends its tokens at once.
 * Refresh tokens rotate at every use; a spent one presented again after the grace window is
 * taken as theft and ends the whole session.
 */
import { randomUUID } from 'node:crypto'
import { and, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm'
import type { Database, Executor } from './db/index.js'
import { type Account, accountColumns, refreshTokens, sessions, users } from './db/schema.js'
import { InvalidRefreshToken, RefreshTokenReused } from './errors.js'
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

export class Sessions {
  readonly #db: Database
  readonly #policy: SessionPolicy
  /** The key that derives each refresh token's successor. */
  readonly #refreshKey: string
  readonly #liveUser
  readonly #isLive
  readonly #byRefreshToken

  constructor (db: Database, policy: SessionPolicy, refreshKey: string) {
    this.#db = db
    this.#policy = policy
    this.#refreshKey = refreshKey
    const live = and(
      eq(sessions.id, sql.placeholder('sessionId')),
      eq(sessions.userId, sql.placeholder('userId')),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, sql.placeholder('now')),
      isNull(users.disabledAt)
    )
    // The guard's only query: one primary-key look-up joined to its user's public columns.
    this.#liveUser = db.select(accountColumns).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(live).prepare()
    // Token verification needs only a yes or no.
    this.#isLive = db.select({ live: sql<number>`1` }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(live).prepare()
    this.#byRefreshToken = db.select({
      token: refreshTokens,
      session: sessions,
      account: accountColumns
    })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(refreshTokens.tokenHash, sql.placeholder('tokenHash')))
      .prepare()
  }

  /** Starts a session with its first refresh token; meant to run inside the caller's transaction. */
  start (executor: Executor, userId: string, client: ClientInfo, now = Date.now()): StartedSession {
    const sessionId = randomUUID()
    const refreshToken = newRefreshToken()
    const maxExpiresAt = now + this.#policy.sessionMaxAge * 1000
    const expiresAt = Math.min(now + this.#policy.refreshTokenTtl * 1000, maxExpiresAt)
    executor.insert(sessions).values({
      id: sessionId,
      userId,
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: new Date(expiresAt),
      maxExpiresAt: new Date(maxExpiresAt),
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX),
      ip: client.ip
    }).run()
    executor.insert(refreshTokens).values({
      tokenHash: hashRefreshToken(refreshToken),
      sessionId,
      createdAt: new Date(now),
      expiresAt: new Date(expiresAt)
    }).run()
    return { sessionId, refreshToken }
  }

  /**
   * Exchanges a refresh token for its successor and slides the session's expiry (never past its
   * maximum age). Within the grace window a spent token yields the same successor again, so
   * concurrent refreshes advance the session once; after it, reuse ends the session.
   */
  refresh (token: string, now = Date.now()): RefreshedSession {
    const tokenHash = hashRefreshToken(token)
    // Read and write in one transaction, so a logout or a disable in between cannot be missed.
    // The outcome is returned, not thrown, so that a theft's revocation is committed.
    const outcome: 'invalid' | { reused: { id: string, userId: string } } | RefreshedSession = this.#db.transaction(tx => {
      const row = this.#byRefreshToken.get({ tokenHash })
      if (row === undefined || !this.#sessionLive(row, now)) return 'invalid'
      const { session, account } = row
      const successor = childRefreshToken(this.#refreshKey, token)
      if (row.token.usedAt !== null) {
        if (this.#withinGrace(row.token.usedAt, now)) return { sessionId: session.id, account, refreshToken: successor }
        this.revoke(session.id, now, undefined, tx)
        return { reused: session }
      }
      if (row.token.expiresAt.getTime() <= now) return 'invalid'

      const expiresAt = new Date(Math.min(now + this.#policy.refreshTokenTtl * 1000, session.maxExpiresAt.getTime()))
      // The condition makes the spend happen once even when several processes share the database.
      const spent = tx.update(refreshTokens).set({ usedAt: new Date(now) })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt))).run()
      if (spent.changes > 0) {
        tx.insert(refreshTokens).values({ tokenHash: hashRefreshToken(successor), sessionId: session.id, createdAt: new Date(now), expiresAt })
          .onConflictDoNothing().run()
        tx.update(sessions).set({ lastUsedAt: new Date(now), expiresAt }).where(eq(sessions.id, session.id)).run()
      }
      return { sessionId: session.id, account, refreshToken: successor }
    })
    if (outcome === 'invalid') throw new InvalidRefreshToken()
    if ('reused' in outcome) throw RefreshTokenReused(outcome.reused.id, outcome.reused.userId)
    return outcome
  }

  /**
   * The live session of a refresh token that could still refresh (unspent, or spent inside the
   * grace window), for logging out with it. An old spent token names nothing: it must not be
   * able to end sessions, least of all every session of the user.
   */
  findByRefreshToken (token: string, now = Date.now()): { sessionId: string, userId: string } | undefined {
    const row = this.#byRefreshToken.get({ tokenHash: hashRefreshToken(token) })
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

  /** The user of a live session, or undefined when the session is unknown, revoked or expired. */
  liveUser (sessionId: string, userId: string, now = Date.now()): Account | undefined {
    return this.#liveUser.get({ sessionId, userId, now })
  }

  /** Whether the session exists, belongs to the user, and is neither revoked nor expired. */
  isLive (sessionId: string, userId: string, now = Date.now()): boolean {
    return this.#isLive.get({ sessionId, userId, now }) !== undefined
  }

  /** Ends a live session (of `userId`, when given); false when there is no such live session. */
  revoke (sessionId: string, now = Date.now(), userId?: string, executor: Executor = this.#db): boolean {
    const result = executor.update(sessions).set({ revokedAt: new Date(now) })
      .where(and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date(now)),
        userId === undefined ? undefined : eq(sessions.userId, userId)
      ))
      .run()
    return result.changes > 0
  }

  /** Ends every session of a user, or every one but `exceptSessionId`. */
  revokeAll (executor: Executor, userId: string, exceptSessionId?: string, now = Date.now()): number {
    return executor.update(sessions).set({ revokedAt: new Date(now) })
      .where(and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId === undefined ? undefined : ne(sessions.id, exceptSessionId)
      ))
      .run().changes
  }

  /**
   * Deletes ended and expired sessions with their refresh tokens, and expired unspent refresh
   * tokens. Spent tokens stay while their session lives: they are what reuse is detected by.
   * A deleted session's access tokens stay refused: no live row names them.
   */
  prune (now = Date.now()): { sessions: number, refreshTokens: number } {
    const ended = or(isNotNull(sessions.revokedAt), lte(sessions.expiresAt, new Date(now)))
    return this.#db.transaction(tx => {
      const refreshTokensDeleted = tx.delete(refreshTokens).where(or(
        and(isNull(refreshTokens.usedAt), lte(refreshTokens.expiresAt, new Date(now))),
        inArray(refreshTokens.sessionId, tx.select({ id: sessions.id }).from(sessions).where(ended))
      )).run().changes
      const sessionsDeleted = tx.delete(sessions).where(ended).run().changes
      return { sessions: sessionsDeleted, refreshTokens: refreshTokensDeleted }
    })
  }

  /** A user's live sessions, most recently used first. */
  list (userId: string, now = Date.now()): SessionView[] {
    return this.#db.select({
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
      .all()
  }
}
