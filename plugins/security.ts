import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/**
 * Security headers on every response, and CORS for the web origins in CORS_ORIGINS.
 * The content security policy allows only the service's own scripts, styles and connections:
 * enough for Swagger UI at /docs, whose assets are served locally. Inline styles are allowed
 * because Swagger UI sets element styles; inline scripts are not.
 */
export default fp(async function security (fastify) {
  await fastify.register(helmet, {
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
