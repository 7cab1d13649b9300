import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CrossSiteRequest } from '../../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The refresh token of the request's cookie, if any. CROSS_SITE_REQUEST (403) when the request did not
     * come from this service's own origin: the cookie then authenticates nothing.
     */
    refreshCookie: (request: FastifyRequest) => string | undefined
    /** Moves the refresh token of `tokens` into the cookie and returns the rest, for the body. */
    withRefreshCookie: <T extends { refreshToken?: string }>(
      reply: FastifyReply, tokens: T
    ) => Omit<T, 'refreshToken'>
    clearRefreshCookie: (reply: FastifyReply) => void
  }
}

export const REFRESH_COOKIE = 'refresh_token'

/**
 * Cookie mode for browser clients: the refresh token in an HttpOnly, SameSite=Strict cookie, and a request
 * it authenticates must also carry this service's own `Origin`: two defences against request forgery.
 * Always `Secure`: browsers accept it over HTTP from localhost, and the Host header misleads behind a proxy.
 * Not @fastify/cookie, which would hook every request and answer for one cookie that four routes use.
 */
export default fp(async function refreshCookie (fastify) {
  const { refreshTokenTtl: maxAge, authPrefix } = fastify.config
  // The only requests the browser sends the cookie with: not /auth/me, not any page.
  const paths = [`${authPrefix}/refresh`, `${authPrefix}/logout`]

  /** Adds the refresh cookie for each of its paths to the answer's Set-Cookie headers. */
  function setCookies (
    reply: FastifyReply, value: string, attributes: Omit<SetCookie, 'name' | 'value' | 'path'>
  ): void {
    for (const path of paths) {
      reply.header('set-cookie', stringifySetCookie({
        name: REFRESH_COOKIE, value, path, httpOnly: true, secure: true, sameSite: 'strict', ...attributes
      }))
    }
  }

  /** Scheme, host and port all equal to the request's own (through a trusted proxy, the public ones). */
  function sameOrigin (request: FastifyRequest): boolean {
    const origin = request.headers.origin
    if (origin === undefined) return false
    try {
      return new URL(origin).origin === new URL(`${request.protocol}://${request.host}`).origin
    } catch {
      return false
    }
  }

  fastify.decorate('refreshCookie', function refreshCookie (request: FastifyRequest) {
    const header = request.headers.cookie
    const token = header === undefined ? undefined : parseCookie(header)[REFRESH_COOKIE]
    if (token === undefined || token === '') return undefined
    if (!sameOrigin(request)) throw new CrossSiteRequest()
    return token
  })

  fastify.decorate('withRefreshCookie', function withRefreshCookie<T extends { refreshToken?: string }> (
    reply: FastifyReply, tokens: T
  ) {
    const { refreshToken, ...rest } = tokens
    setCookies(reply, refreshToken as string, { maxAge })
    return rest
  })

  fastify.decorate('clearRefreshCookie', function clearRefreshCookie (reply: FastifyReply) {
    setCookies(reply, '', { maxAge: 0, expires: new Date(0) })
  })
}, { name: 'refresh-cookie', dependencies: ['config'] })
