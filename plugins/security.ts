import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from '@fastify/cors'
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

/**
 * Security headers on every response, and CORS for the web origins in CORS_ORIGINS.
 * The content security policy allows only the service's own scripts, styles and connections:
 * enough for Swagger UI at /docs, whose assets are served locally. Inline styles are allowed
 * because Swagger UI sets element styles; inline scripts are not.
 */
export default fp(async function security (fastify) {
  const headers = securityHeaders({
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
    // HTTPS for this host only: the service should not commit its sibling subdomains to HTTPS.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false }
  })
  fastify.addHook('onRequest', function setSecurityHeaders (request, reply, done) {
    reply.headers(headers)
    done()
  })

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
