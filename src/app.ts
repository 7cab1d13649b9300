/**
 * The composition root: the service as one Fastify plugin, and the server options it needs.
 * `server.ts` listens with it; tests and the CLI build the very same app.
 */
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from './config.js'
import { schemaController } from './validation.js'
import authGuard from '../plugins/auth.js'
import configPlugin from '../plugins/config.js'
import dbPlugin from '../plugins/db.js'
import errorHandler, { clientErrorHandler, frameworkErrors } from '../plugins/error-handler.js'
import jwtPlugin from '../plugins/jwt.js'
import rateLimit from '../plugins/rate-limit.js'
import security from '../plugins/security.js'
import services from '../plugins/services.js'
import swagger from '../plugins/swagger.js'
import authRoutes from '../routes/auth/index.js'
import healthRoutes from '../routes/health.js'
import { AdminUser, AuthEventView } from '../schemas/admin.js'
import { AccessTokenClaims } from '../schemas/auth.js'
import { ErrorResponse } from '../schemas/common.js'
import { SessionInfo } from '../schemas/sessions.js'
import { User } from '../schemas/user.js'

/** Largest request body accepted: every JSON body of this API fits in a few hundred bytes. */
export const BODY_LIMIT = 16 * 1024

/** Milliseconds a client has to send a whole request. */
export const REQUEST_TIMEOUT = 30_000

/** Secrets that must never reach a log line, wherever a serializer might put them. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.confirmPassword',
  '*.accessToken',
  '*.refreshToken',
  '*.token'
]

/** The request as logged: the path without its query string, which could carry a token. */
function serializeRequest (request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.split('?', 1)[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

export function serverOptions (config: Config): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { req: serializeRequest }
    },
    // Ids are generated, never taken from the client, so a log line cannot be forged.
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT,
    // A request must arrive whole within this time: a slowly sent body cannot hold a worker or
    // outlive the authorization checked when it is complete.
    requestTimeout: REQUEST_TIMEOUT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Off by default: X-Forwarded-For is believed only from the proxies listed in TRUST_PROXY.
    trustProxy: config.trustProxy,
    // Seed clients call e.g. /api/auth/register/ with a trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
    schemaController,
    frameworkErrors: frameworkErrors as FastifyServerOptions['frameworkErrors'],
    clientErrorHandler
  }
}

const app = fp<{ config: Config }>(async function app (fastify, opts) {
  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(rateLimit)
  await fastify.register(security)
  await fastify.register(errorHandler)
  await fastify.register(dbPlugin)
  await fastify.register(jwtPlugin)
  await fastify.register(services)
  await fastify.register(authGuard)
  await fastify.register(swagger)

  for (const schema of [ErrorResponse, User, AdminUser, AuthEventView, AccessTokenClaims, SessionInfo]) fastify.addSchema(schema)

  // The API speaks JSON only: any other body type is a 415, never parsed as text.
  fastify.removeContentTypeParser('text/plain')

  // Lets a client quote the id of a failed request, and operators find it in the log.
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await fastify.register(healthRoutes)
  await fastify.register(authRoutes, { prefix: '/auth' })
}, { name: 'app' })

export default app

/**
 * Builds the app on a new Fastify instance. `overrides` lets tests change options; logger
 * options are merged over the service's own, so redaction and serializers stay in force.
 */
export async function buildApp (config: Config, overrides: Partial<FastifyServerOptions> = {}) {
  const base = serverOptions(config)
  const logger = typeof overrides.logger === 'object' && typeof base.logger === 'object'
    ? { ...base.logger, ...overrides.logger }
    : overrides.logger ?? base.logger
  const fastify = Fastify({ ...base, ...overrides, logger }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(app, { config })
  return fastify
}
