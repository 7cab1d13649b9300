import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Account } from '../src/db/schema.js'
import type { ClientInfo } from '../src/sessions.js'
import { Forbidden, InvalidToken, MissingToken, ServiceError } from '../src/errors.js'
import type { AccessTokenClaims } from '../schemas/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The claims of a valid access token of a live session; throws INVALID_TOKEN (401) otherwise. */
    verifyAccessToken: (token: string) => Promise<AccessTokenClaims>
    /**
     * Route guard: requires `Authorization: Bearer <access token>` of a live session. Use it as
     * `preHandler: [fastify.authenticate]`. Not earlier: a client may hold back its body for as
     * long as the request timeout allows, and a check made before the body arrived would let
     * the handler run after a logout or a demotion. Not in `onRequest` either: the rate limiter
     * appends itself there and must count unauthenticated requests too.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /**
     * Route guard for roles, used after `authenticate`: `preHandler: [fastify.authenticate,
     * fastify.requireRole('admin')]`. The role is the account's as read from the database for
     * this request, not the token's, so a demotion takes effect at once.
     */
    requireRole: (...roles: string[]) => (request: FastifyRequest) => Promise<void>
    /** The claims of the request's Bearer token when it is a valid token of a live session; otherwise undefined. */
    optionalAccessToken: (request: FastifyRequest) => Promise<AccessTokenClaims | undefined>
  }
  interface FastifyRequest {
    /** The signed-in user, read with the session check (set by `authenticate`). */
    account: Account
  }
}

/** Who is calling, for sessions and the audit trail: the client address (see TRUST_PROXY) and user agent. */
export function clientInfo (request: FastifyRequest): ClientInfo {
  return { userAgent: request.headers['user-agent'], ip: request.ip }
}

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i

/**
 * The auth guard. A token is honoured only while its signature, type, lifetime and session all
 * hold: the session look-up is one indexed query, and it is what makes logout take effect at once.
 */
export default fp(async function auth (fastify) {
  fastify.decorateRequest('account', null as unknown as Account)

  fastify.decorate('verifyAccessToken', async function verifyAccessToken (token: string) {
    const claims = await fastify.accessTokens.verify(token)
    if (!await fastify.sessions.isLive(claims.sid, claims.sub)) throw new InvalidToken()
    return claims
  })

  fastify.decorate('requireRole', function requireRole (...roles: string[]) {
    return async function hasRole (request: FastifyRequest) {
      if (!roles.includes(request.account.role)) throw new Forbidden(roles.join(' or '))
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

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest, reply: FastifyReply) {
    const match = BEARER.exec(request.headers.authorization ?? '')
    if (match === null) {
      reply.header('www-authenticate', 'Bearer')
      throw new MissingToken()
    }
    try {
      const claims = await fastify.accessTokens.verify(match[1] as string)
      const account = await fastify.sessions.liveUser(claims.sid, claims.sub)
      if (account === undefined || account.disabledAt !== null) throw new InvalidToken()
      request.user = claims
      request.account = account
    } catch (error) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw error
    }
  })
}, { name: 'auth', dependencies: ['jwt', 'services'] })
