/**
 * What a client does with its session: refresh it, log out, end one of its other sessions. A spent refresh
 * token presented again after the grace window is taken as theft and ends the whole session.
 */
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Executor, Prepared, Store } from '../db/index.js'
import { type Account, accountColumns } from '../db/schema.js'
import {
  InvalidRefreshToken, LogoutUnidentified, MissingRefreshToken, NotFound, RefreshTokenReused
} from '../errors.js'
import type { AuthEvents } from '../audit/events.js'
import type { AccessTokens } from '../tokens/access-tokens.js'
import { type Actor, type ClientInfo, networkOf, sameClient, storedClient } from './client.js'
import { childRefreshToken, hashRefreshToken } from './refresh-tokens.js'
import { methodsOf, type Sessions } from './sessions.js'
import type { TokenPair } from '../../schemas/sessions.js'

export interface SessionActionsDependencies {
  store: Store
  sessions: Sessions
  events: AuthEvents
  accessTokens: AccessTokens
  /** The key that derives each refresh token's successor. */
  refreshKey: string
}

interface RefreshedSession { sessionId: string, refreshToken: string, account: Account, amr: string }

/** The client recorded as having spent a token. */
interface Spender { ip: string | null, userAgent: string | null }

/** What an exchange came to: a new token, a spent token's reuse (the session is ended), or nothing valid. */
type Exchange = RefreshedSession | { reused: { id: string, userId: string }, spender: Spender } | 'invalid'

/** A spent token, with the client that spent it. */
interface Spent { usedAt: Date, usedIp: string | null, usedUserAgent: string | null }

interface TokenRow {
  token: { usedAt: Date | null, expiresAt: Date, usedIp: string | null, usedUserAgent: string | null }
  session: { id: string, userId: string, revokedAt: Date | null, expiresAt: Date, maxExpiresAt: Date }
  account: Account
}

/** Who a logout names: the session of a live access token, or of a refresh token. */
export interface LogoutRequest {
  session?: Actor
  refreshToken?: string
  all?: boolean
}

export class SessionActions {
  readonly #deps: SessionActionsDependencies
  readonly #byRefreshToken: Prepared<TokenRow>

  constructor (deps: SessionActionsDependencies) {
    this.#deps = deps
    const { refreshTokens } = deps.store.tables
    this.#byRefreshToken = deps.store.prepare('session_by_refresh_token',
      this.#tokenQuery(deps.store.db).where(eq(refreshTokens.tokenHash, sql.placeholder('tokenHash'))))
  }

  /**
   * Exchanges a refresh token for a new pair and slides the session's expiry. Within the grace window a spent
   * token yields the same successor again to the client that spent it (its retries and tabs), so concurrent
   * refreshes advance the session once; from any other client, or after the window, it is reuse.
   */
  async refresh (token: string | undefined, client: ClientInfo, now = Date.now()): Promise<TokenPair> {
    const { store, events, accessTokens } = this.#deps
    if (token === undefined) throw new MissingRefreshToken()
    // One transaction, so a logout or a disable in between cannot be missed. The outcome is
    // returned, not thrown, so that a theft's revocation is committed.
    const outcome = await store.transaction(async tx => {
      const exchanged = await this.#exchange(token, client, now, tx)
      if (exchanged === 'invalid') return exchanged
      await events.record('reused' in exchanged
        ? {
            type: 'refresh_reuse_detected',
            userId: exchanged.reused.userId,
            sessionId: exchanged.reused.id,
            reason: `spent by ${describe(exchanged.spender)}`,
            client
          }
        : { type: 'refresh', userId: exchanged.account.id, sessionId: exchanged.sessionId, client }, tx)
      return exchanged
    })
    if (outcome === 'invalid') throw new InvalidRefreshToken()
    if ('reused' in outcome) throw RefreshTokenReused(outcome.reused.id, outcome.reused.userId)
    return accessTokens.issue(outcome.account, outcome.sessionId, outcome.refreshToken, methodsOf(outcome.amr))
  }

  /** A refresh token's row with its session and its user. */
  #tokenQuery (db: Executor) {
    const { refreshTokens, sessions, users } = this.#deps.store.tables
    return db.select({ token: refreshTokens, session: sessions, account: accountColumns(users) })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
  }

  async #exchange (token: string, client: ClientInfo, now: number, tx: Executor): Promise<Exchange> {
    const { store, sessions: repository, refreshKey } = this.#deps
    const { refreshTokens, sessions } = store.tables
    const tokenHash = hashRefreshToken(token)
    const [row] = await this.#tokenQuery(tx).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1)
    if (row === undefined || !sessionLive(row, now)) return 'invalid'
    const { session, account } = row
    const successor = childRefreshToken(refreshKey, token)
    const spentEarlier = async (spent: Spent) => {
      if (this.#withinGrace(spent.usedAt, now) && spentBy(spent, client)) {
        return { sessionId: session.id, account, refreshToken: successor, amr: session.amr }
      }
      await repository.revoke(session.id, { now }, tx)
      return { reused: session, spender: { ip: spent.usedIp, userAgent: spent.usedUserAgent } }
    }
    if (row.token.usedAt !== null) return await spentEarlier({ ...row.token, usedAt: row.token.usedAt })
    if (row.token.expiresAt.getTime() <= now) return 'invalid'

    const expiresAt = new Date(
      Math.min(now + repository.policy.refreshTokenTtl * 1000, session.maxExpiresAt.getTime())
    )
    // The session's row first, then its tokens': the order a deletion cascades in, so that a
    // refresh and an admin's deletion of the user cannot deadlock.
    await tx.update(sessions).set({ lastUsedAt: new Date(now), expiresAt }).where(eq(sessions.id, session.id))
    // The condition spends the token once even when several processes share the database.
    const { ip: usedIp, userAgent: usedUserAgent } = storedClient(client)
    const spent = store.changes(await tx.update(refreshTokens).set({ usedAt: new Date(now), usedIp, usedUserAgent })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt))))
    if (spent === 0) {
      // Spent meanwhile by a concurrent refresh: the same rules as a token read as spent.
      const [spender] = await tx.select({
        usedAt: refreshTokens.usedAt, usedIp: refreshTokens.usedIp, usedUserAgent: refreshTokens.usedUserAgent
      }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash))
      return spender?.usedAt == null ? 'invalid' : await spentEarlier({ ...spender, usedAt: spender.usedAt })
    }
    await tx.insert(refreshTokens)
      .values({ tokenHash: hashRefreshToken(successor), sessionId: session.id, createdAt: new Date(now), expiresAt })
      .onConflictDoNothing()
    return { sessionId: session.id, account, refreshToken: successor, amr: session.amr }
  }

  /** The session of a refresh token that could still refresh; an old spent one must not be able to end sessions. */
  async #sessionOf (token: string, now = Date.now()): Promise<{ sessionId: string, userId: string } | undefined> {
    const [row] = await this.#byRefreshToken({ tokenHash: hashRefreshToken(token) })
    if (row === undefined || !sessionLive(row, now) || row.token.expiresAt.getTime() <= now) return undefined
    if (row.token.usedAt !== null && !this.#withinGrace(row.token.usedAt, now)) return undefined
    return { sessionId: row.session.id, userId: row.session.userId }
  }

  #withinGrace (usedAt: Date, now: number): boolean {
    return now - usedAt.getTime() < this.#deps.sessions.policy.refreshReuseGrace * 1000
  }

  /**
   * Ends the session named by an access token or a refresh token (so an expired access token can still
   * log out), or with `all` every session of the user. A refresh token sent beside is ended too if the same user's.
   */
  async logout (request: LogoutRequest, client: ClientInfo): Promise<void> {
    const { store, sessions, events } = this.#deps
    const byRefreshToken = request.refreshToken === undefined
      ? undefined
      : await this.#sessionOf(request.refreshToken)
    const target = request.session ?? byRefreshToken
    if (target === undefined) throw new LogoutUnidentified()
    await store.transaction(async tx => {
      if (request.all === true) {
        await sessions.revokeAll(target.userId, {}, tx)
      } else {
        await sessions.revoke(target.sessionId, {}, tx)
        if (byRefreshToken !== undefined && byRefreshToken.userId === target.userId) {
          await sessions.revoke(byRefreshToken.sessionId, {}, tx)
        }
      }
      const reason = request.all === true ? 'all_sessions' : null
      await events.record({ type: 'logout', userId: target.userId, sessionId: target.sessionId, reason, client }, tx)
    })
  }

  /** Ends one of the user's own live sessions; NOT_FOUND when there is no such live session. */
  async end (userId: string, sessionId: string, client: ClientInfo): Promise<void> {
    const { store, sessions, events } = this.#deps
    await store.transaction(async tx => {
      if (!await sessions.revoke(sessionId, { userId }, tx)) throw new NotFound('Session')
      await events.record({ type: 'session_revoked', userId, sessionId, client }, tx)
    })
  }
}

function sessionLive (row: Pick<TokenRow, 'session'> & { account: { disabledAt: Date | null } }, now: number): boolean {
  return row.session.revokedAt === null && row.session.expiresAt.getTime() > now && row.account.disabledAt === null
}

/**
 * Whether `client` spent the token. A token spent before spenders were recorded has none: it is honoured,
 * as it was when it was spent.
 */
function spentBy (spent: Spent, client: ClientInfo): boolean {
  if (spent.usedIp === null && spent.usedUserAgent === null) return true
  return sameClient(client, { ip: spent.usedIp, userAgent: spent.usedUserAgent })
}

/** A spender for the audit trail: its network and user agent. */
function describe (spender: Spender): string {
  return `${networkOf(spender.ip) ?? 'an unknown address'} (${spender.userAgent ?? 'no user agent'})`
}
