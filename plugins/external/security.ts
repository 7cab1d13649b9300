import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from '@fastify/cors'
import type { onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * The security headers helmet sets, computed once. They are the same for every response, so
 * they are worked out at start-up by running helmet's middleware against a recording response,
 * rather than by running (and rebuilding) the middleware on each request.
 */
export function securityHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error
  })
  return headers
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * An onRequest hook for the routes that serve browser pages (the pages, their assets, /docs):
     * it gives them the browser's full set of security headers in place of the API's.
     */
    pageHeaders: onRequestHookHandler
  }
}

/**
 * The headers of every API answer, as OWASP's REST security guidance lists them: nothing may be
 * cached (answers carry tokens and accounts: RFC 6749 requires `no-store` on token responses),
 * no content of the answer may run or be framed, no sniffing, HTTPS for this host. The rest of
 * helmet's set is for HTML, and goes to the pages only.
 */
const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // HTTPS for this host only: the service should not commit its sibling subdomains to HTTPS.
  'strict-transport-security': 'max-age=31536000'
}

/**
 * Security headers on every response, and CORS for the web origins in CORS_ORIGINS.
 * API answers get `API_HEADERS`. Pages get helmet's set, whose content security policy allows
 * only the service's own scripts, styles and connections: enough for Swagger UI at /docs, whose
 * assets are served locally. Inline styles are allowed because Swagger UI sets element styles;
 * inline scripts are not.
 */
export default fp(async function security (fastify) {
  const pageHeaders = securityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"]
      }
    },
    // No page of this service is meant to be framed anywhere.
    frameguard: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false }
  })
  fastify.addHook('onRequest', function setApiHeaders (request, reply, done) {
    reply.headers(API_HEADERS)
    done()
  })
  fastify.decorate('pageHeaders', function setPageHeaders (request, reply, done) {
    // Pages set their own caching; the API's `no-store` would only slow them down.
    reply.removeHeader('cache-control').headers(pageHeaders)
    done()
  } satisfies onRequestHookHandler)

  const origins = fastify.config.corsOrigins
  if (origins.length > 0) {
    await fastify.register(cors, {
      origin: [...origins],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization'],
      exposedHeaders: ['retry-after', 'x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      // Bearer tokens travel in a header, not in cookies: other origins get no credentials.
      credentials: false,
      maxAge: 600
    })
  }
}, { name: 'security', dependencies: ['config'] })
