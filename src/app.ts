/**
 * The composition root: the service as one Fastify plugin, and the server options it needs.
 * `server.ts` listens with it; tests and the CLI build the very same app.
 */
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from './config.js'
import { createSchemaController } from './validation.js'
import authGuard from '../plugins/auth.js'
import configPlugin from '../plugins/config.js'
import dbPlugin from '../plugins/db.js'
import errorHandler, { clientErrorHandler, frameworkErrors } from '../plugins/error-handler.js'
import jwtPlugin from '../plugins/jwt.js'
import rateLimit from '../plugins/rate-limit.js'
import redisPlugin from '../plugins/redis.js'
import refreshCookie from '../plugins/refresh-cookie.js'
import security from '../plugins/security.js'
import services from '../plugins/services.js'
import swagger from '../plugins/swagger.js'
import authRoutes from '../routes/auth/index.js'
import healthRoutes from '../routes/health.js'
import jwksRoutes from '../routes/jwks.js'
import pageRoutes from '../routes/pages.js'
import { AdminUser, AuthEventView } from '../schemas/admin.js'
import { AccessTokenClaims } from '../schemas/auth.js'
import { ErrorResponse } from '../schemas/common.js'
import { SessionInfo } from '../schemas/sessions.js'
import { User } from '../schemas/user.js'

/** Largest request body accepted: every JSON body of this API fits in a few hundred bytes. */
export const BODY_LIMIT = 16 * 1024

/** Milliseconds a client has to send a whole request. */
export const REQUEST_TIMEOUT = 30_000

/** Fields that hold secrets: never written to a log line, at any depth a log call might put them. */
const SECRET_KEYS = new Set([
  'authorization', 'cookie', 'set-cookie',
  'password', 'newPassword', 'currentPassword', 'confirmPassword', 'confirmNewPassword',
  'accessToken', 'refreshToken', 'token'
])
const REDACTED = '[redacted]'

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Replaces secret fields of a log call's object, and of the plain objects inside it (a body,
 * a headers object), with "[redacted]". The request, the reply and errors are not plain
 * objects: their serializers below never include a header, a body or a query string. Objects
 * are copied only when a secret is found, so the usual log line costs a few key look-ups
 * (pino's path-based redaction copied every logged object and halved the throughput of the
 * busiest routes).
 */
export function redactSecrets (object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined
  for (const key in object) {
    const value = object[key]
    let replacement = value
    if (SECRET_KEYS.has(key)) replacement = REDACTED
    else if (depth < 4 && isPlainObject(value)) replacement = redactSecrets(value, depth + 1)
    if (replacement !== value) {
      copy ??= { ...object }
      copy[key] = replacement
    }
  }
  return copy ?? object
}

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

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route is a routine check, called by clients and probes many times a second with no
     * effect (a token check, /health, the JWKS): its successful answers are logged at debug,
     * not info. Its failures are logged like any other request's.
     */
    routine?: boolean
  }
}

/**
 * One log line per request, written when it ends: the request, its status and its duration.
 * Fastify's default also logs each request as it arrives; on the busiest routes that second
 * line cost more than the route itself. An error still gets its own line, at the error handler.
 * A routine check that succeeds is logged at debug: at info, the token checks' lines would be
 * most of the log and a quarter of their cost, and tell nothing the audit trail does not.
 */
class AccessLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else if (reply.statusCode < 400 && request.routeOptions.config.routine === true) reply.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

export function serverOptions (config: Config): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      formatters: { log: redactSecrets },
      serializers: { req: serializeRequest }
    },
    logController: new AccessLog(),
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
    schemaController: createSchemaController(),
    frameworkErrors: frameworkErrors as FastifyServerOptions['frameworkErrors'],
    clientErrorHandler
  }
}

const app = fp<{ config: Config }>(async function app (fastify, opts) {
  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(redisPlugin)
  await fastify.register(rateLimit)
  await fastify.register(security)
  await fastify.register(errorHandler)
  await fastify.register(dbPlugin)
  await fastify.register(jwtPlugin)
  await fastify.register(services)
  await fastify.register(authGuard)
  await fastify.register(refreshCookie)
  await fastify.register(swagger)

  for (const schema of [ErrorResponse, User, AdminUser, AuthEventView, AccessTokenClaims, SessionInfo]) fastify.addSchema(schema)

  // The API speaks JSON only: any other body type is a 415, never parsed as text.
  fastify.removeContentTypeParser('text/plain')

  // Lets a client quote the id of a failed request, and operators find it in the log.
  fastify.addHook('onRequest', function setRequestId (request, reply, done) {
    reply.header('x-request-id', request.id)
    done()
  })

  await fastify.register(healthRoutes)
  await fastify.register(jwksRoutes)
  await fastify.register(authRoutes, { prefix: '/auth' })
  await fastify.register(pageRoutes)
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
