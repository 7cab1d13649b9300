import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserRow } from '../src/db/schema.js'
import { InvalidToken, MissingToken } from '../src/errors.js'
import type { AccessTokenClaims } from '../schemas/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies an access token and its session; throws INVALID_TOKEN (401) otherwise. */
    verifyAccessToken: (token: string) => { claims: AccessTokenClaims, account: UserRow }
    /**
     * Route guard: requires `Authorization: Bearer <access token>` of a live session. Use it as
     * `preParsing: [fastify.authenticate]`: that runs after every `onRequest` hook, so the rate
     * limiter (which appends itself to `onRequest`) counts unauthenticated requests too, and
     * before any body is read.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** The signed-in user's record, read with the session check (set by `authenticate`). */
    account: UserRow
  }
}

/** No honest access token comes near this; longer ones are refused before any parsing. */
const TOKEN_MAX_LENGTH = 4096
const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i

/**
 * The auth guard. A token is honoured only while its signature, type, lifetime and session all
 * hold: the session look-up is one indexed query, and it is what makes logout take effect at once.
 */
export default fp(async function auth (fastify) {
  fastify.decorateRequest('account', null as unknown as UserRow)

  function verifyAccessToken (token: string) {
    let claims: AccessTokenClaims
    try {
      if (token.length > TOKEN_MAX_LENGTH) throw new InvalidToken()
      claims = fastify.jwt.verify<AccessTokenClaims>(token)
    } catch {
      throw new InvalidToken()
    }
    const account = fastify.sessions.liveUser(claims.sid, claims.sub)
    if (account === undefined) throw new InvalidToken()
    return { claims, account }
  }

  fastify.decorate('verifyAccessToken', verifyAccessToken)

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest, reply: FastifyReply) {
    const match = BEARER.exec(request.headers.authorization ?? '')
    if (match === null) {
      reply.header('www-authenticate', 'Bearer')
      throw new MissingToken()
    }
    try {
      const { claims, account } = verifyAccessToken(match[1] as string)
      request.user = claims
      request.account = account
    } catch (error) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw error
    }
  })
}, { name: 'auth', dependencies: ['jwt', 'services'] })
