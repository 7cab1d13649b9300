import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Account } from '../../src/db/schema.js'
import type { Actor } from '../../src/sessions/client.js'
import { Forbidden, InvalidToken, MfaRequired, MissingToken, ServiceError } from '../../src/errors.js'
import { multiFactor } from '../../src/mfa/mfa.js'
import type { AccessTokenClaims } from '../../schemas/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The claims of a valid access token of a live session; INVALID_TOKEN (401) otherwise. */
    verifyAccessToken: (token: string) => AccessTokenClaims | Promise<AccessTokenClaims>
    /**
     * Route guard, as a `preHandler`: not earlier, as a client may hold back its body and a check made before
     * it arrived would let the handler run after a logout or a demotion; not in `onRequest`, where the rate
     * limiter must count unauthenticated requests too.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void
    /** Role guard, after `authenticate`: the role is the account's as read now, so a demotion takes effect at once. */
    requireRole: (...roles: string[]) => (request: FastifyRequest) => Promise<void>
    /**
     * Step-up guard, after `authenticate`: an account with two-factor on may do this only from a session that
     * proved the second factor (its token's `amr`); MFA_REQUIRED (403) otherwise.
     */
    requireSecondFactor: (request: FastifyRequest) => Promise<void>
    /** The claims of the request's Bearer token when valid and of a live session; otherwise undefined. */
    optionalAccessToken: (request: FastifyRequest) => Promise<AccessTokenClaims | undefined>
  }
  interface FastifyRequest {
    /** The signed-in user, read with the session check (set by `authenticate`). */
    account: Account
    /** The signed-in user and their session, as the services take them (after `authenticate`). */
    readonly actor: Actor
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i

/** The auth guard: a token counts only while it is valid and its session live, so logout takes effect at once. */
export default fp(async function auth (fastify) {
  fastify.decorateRequest('account', null as unknown as Account)
  fastify.decorateRequest('actor', {
    getter (this: FastifyRequest): Actor {
      return { userId: this.user.sub, sessionId: this.user.sid }
    }
  })

  const { accessTokens, sessions } = fastify

  interface Found { claims: AccessTokenClaims, account: Account }

  async function withSession (claims: AccessTokenClaims): Promise<Found> {
    const account = await sessions.liveUser(claims.sid, claims.sub)
    if (account === undefined) throw new InvalidToken()
    return { claims, account }
  }

  /** The token's claims and its session's account, or INVALID_TOKEN; synchronous when both are known good. */
  function check (token: string): Found | Promise<Found> {
    const claims = accessTokens.verify(token)
    if (claims instanceof Promise) return claims.then(withSession)
    const account = sessions.keptUser(claims.sid, claims.sub)
    return account === undefined ? withSession(claims) : { claims, account }
  }

  fastify.decorate('verifyAccessToken', function verifyAccessToken (token: string) {
    const found = check(token)
    return found instanceof Promise ? found.then(({ claims }) => claims) : found.claims
  })

  fastify.decorate('requireRole', function requireRole (...roles: string[]) {
    return async function hasRole (request: FastifyRequest) {
      if (!roles.includes(request.account.role)) throw new Forbidden(roles.join(' or '))
    }
  })

  fastify.decorate('requireSecondFactor', async function requireSecondFactor (request: FastifyRequest) {
    if (request.account.mfaEnabledAt !== null && !multiFactor(request.user.amr)) {
      throw new MfaRequired('refresh the session if it has just turned two-factor on, or sign in again with your code')
    }
  })

  fastify.decorate('optionalAccessToken', async function optionalAccessToken (request: FastifyRequest) {
    const match = BEARER.exec(request.headers.authorization ?? '')
    if (match === null) return undefined
    try {
      return await fastify.verifyAccessToken(match[1] as string)
    } catch (error) {
      // An invalid token is no token; a database that does not answer is still a 503.
      if (error instanceof ServiceError) return undefined
      throw error
    }
  })

  fastify.decorate('authenticate', function authenticate (
    request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void
  ) {
    const match = BEARER.exec(request.headers.authorization ?? '')
    if (match === null) {
      reply.header('www-authenticate', 'Bearer')
      done(new MissingToken())
      return
    }
    const signIn = (found: Found) => {
      request.user = found.claims
      request.account = found.account
      done()
    }
    const refuse = (error: Error) => {
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      done(error)
    }
    let found
    try {
      found = check(match[1] as string)
    } catch (error) {
      refuse(error as Error)
      return
    }
    if (found instanceof Promise) found.then(signIn, refuse)
    else signIn(found)
  })
}, { name: 'auth', dependencies: ['access-tokens', 'sessions'] })
