import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CrossSiteRequest } from '../../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The refresh token of the request's cookie, for browser clients in cookie mode; undefined
     * when there is none. Throws CROSS_SITE_REQUEST (403) when the request did not come from
     * this service's own origin: the cookie then authenticates nothing.
     */
    refreshCookie: (request: FastifyRequest) => string | undefined
    /**
     * Moves the refresh token of `tokens` into the browser's HttpOnly cookie (on the refresh and
     * logout paths) and returns the rest, for the body.
     */
    withRefreshCookie: <T extends { refreshToken?: string }>(reply: FastifyReply, tokens: T) => Omit<T, 'refreshToken'>
    /** Deletes that cookie from the browser. */
    clearRefreshCookie: (reply: FastifyReply) => void
  }
}

export const REFRESH_COOKIE = 'refresh_token'
/** The only requests the browser sends the cookie with: not /auth/me, not any page. */
export const REFRESH_COOKIE_PATHS = ['/auth/refresh', '/auth/logout']

/**
 * Cookie mode for browser clients: the refresh token lives in an `HttpOnly; Secure;
 * SameSite=Strict` cookie that page scripts cannot read, sent only to the refresh and logout
 * paths. A request that the cookie authenticates must also name this service's own origin in
 * `Origin` (browsers always send it with a POST): with SameSite, two defences against
 * cross-site request forgery. (Refresh also takes JSON bodies only, which no cross-site form
 * can send.)
 *
 * The cookie is always `Secure`: browsers accept such cookies over plain HTTP from `localhost`
 * and `127.0.0.1` for development, and deciding from the `Host` header would drop the flag
 * behind a reverse proxy that forwards to a loopback address.
 *
 * The cookie is read and written by the routes that use it, with the `cookie` package, rather
 * than by @fastify/cookie: that plugin parses the cookies of every request and runs an onSend
 * hook on every answer, the token checks included, for one cookie that four routes use.
 */
export default fp(async function refreshCookie (fastify) {
  const maxAge = fastify.config.refreshTokenTtl

  /** Adds the refresh cookie for each of its paths to the answer's Set-Cookie headers. */
  function setCookies (reply: FastifyReply, value: string, attributes: Omit<SetCookie, 'name' | 'value' | 'path'>): void {
    for (const path of REFRESH_COOKIE_PATHS) {
      reply.header('set-cookie', stringifySetCookie({ name: REFRESH_COOKIE, value, path, httpOnly: true, secure: true, sameSite: 'strict', ...attributes }))
    }
  }

  function sameOrigin (request: FastifyRequest): boolean {
    const origin = request.headers.origin
    if (origin === undefined) return false
    try {
      const url = new URL(origin)
      // Known to be HTTPS (directly, or through a proxy in TRUST_PROXY): an http:// page is another origin.
      if (request.protocol === 'https' && url.protocol !== 'https:') return false
      return url.host === request.host
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

  fastify.decorate('withRefreshCookie', function withRefreshCookie<T extends { refreshToken?: string }> (reply: FastifyReply, tokens: T) {
    const { refreshToken, ...rest } = tokens
    setCookies(reply, refreshToken as string, { maxAge })
    return rest
  })

  fastify.decorate('clearRefreshCookie', function clearRefreshCookie (reply: FastifyReply) {
    setCookies(reply, '', { maxAge: 0, expires: new Date(0) })
  })
}, { name: 'refresh-cookie', dependencies: ['config'] })
