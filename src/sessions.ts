/**
 * Sessions: one per login on one device. Access tokens name their session (`sid`), and a token
 * is honoured only while its session is live, so ending a session ends its tokens at once.
 */
import { randomUUID } from 'node:crypto'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Database, Executor } from './db/index.js'
import { type Account, accountColumns, refreshTokens, sessions, users } from './db/schema.js'
import { hashRefreshToken, newRefreshToken } from './tokens.js'

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
}

export interface StartedSession {
  sessionId: string
  refreshToken: string
}

/** Stored user agents are capped: they are informational, and headers can be long. */
const USER_AGENT_MAX = 512

export class Sessions {
  readonly #policy: SessionPolicy
  readonly #liveUser
  readonly #isLive

  constructor (db: Database, policy: SessionPolicy) {
    this.#policy = policy
    const live = and(
      eq(sessions.id, sql.placeholder('sessionId')),
      eq(sessions.userId, sql.placeholder('userId')),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, sql.placeholder('now'))
    )
    // The guard's only query: one primary-key look-up joined to its user's public columns.
    this.#liveUser = db.select(accountColumns).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(live).prepare()
    // Token verification needs only a yes or no.
    this.#isLive = db.select({ live: sql<number>`1` }).from(sessions).where(live).prepare()
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

  /** The user of a live session, or undefined when the session is unknown, revoked or expired. */
  liveUser (sessionId: string, userId: string, now = Date.now()): Account | undefined {
    return this.#liveUser.get({ sessionId, userId, now })
  }

  /** Whether the session exists, belongs to the user, and is neither revoked nor expired. */
  isLive (sessionId: string, userId: string, now = Date.now()): boolean {
    return this.#isLive.get({ sessionId, userId, now }) !== undefined
  }
}
