/**
 * Sessions: one per login on one device. Access tokens name their session (`sid`), and a token
 * is honoured only while its session is live, so ending a session ends its tokens at once.
 */
import { randomUUID } from 'node:crypto'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Database, Executor } from './db/index.js'
import { refreshTokens, sessions, users, type UserRow } from './db/schema.js'
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

  constructor (db: Database, policy: SessionPolicy) {
    this.#policy = policy
    // The verify path's only query: one primary-key look-up joined to its user.
    this.#liveUser = db.select({ user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder('now'))
      ))
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

  /** The user of a live session, or undefined when the session is unknown, revoked or expired. */
  liveUser (sessionId: string, userId: string, now = Date.now()): UserRow | undefined {
    return this.#liveUser.get({ sessionId, userId, now })?.user
  }
}
