import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from '@fastify/cors'
import type { onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/** The headers helmet sets, recorded once at start-up: they are the same for every response. */
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
    /** An onRequest hook giving browser pages (and /docs) the browser's security headers in place of the API's. */
    pageHeaders: onRequestHookHandler
  }
}

/**
 * The headers of every API answer, per OWASP's REST guidance: nothing cached (answers carry tokens;
 * RFC 6749 requires `no-store`), nothing run or framed, no sniffing, HTTPS. Helmet's full set is for HTML.
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
 * Security headers on every response, and CORS for CORS_ORIGINS. Pages get a policy allowing only the
 * service's own assets, and inline styles because Swagger UI sets element styles; never inline scripts.
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
      exposedHeaders: [
        'retry-after', 'x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'
      ],
      // Bearer tokens travel in a header, not in cookies: other origins get no credentials.
      credentials: false,
      maxAge: 600
    })
  }
}, { name: 'security', dependencies: ['config'] })
