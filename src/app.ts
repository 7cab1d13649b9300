/** The composition root: the service as one Fastify plugin, and the server options it needs. */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Server } from 'node:http'
import Fastify, { type FastifyHttpOptions, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from './config.js'
import { projectRoot } from './db/migrations.js'
import { AccessLog, redactSecrets, serializeRequest } from './http/logging.js'
import { createSchemaController } from './http/validation.js'
import accessTokens from '../plugins/app/access-tokens.js'
import accounts from '../plugins/app/accounts.js'
import admin from '../plugins/app/admin.js'
import audit from '../plugins/app/audit.js'
import authGuard from '../plugins/app/authenticate.js'
import clientAddress from '../plugins/app/client-address.js'
import configPlugin from '../plugins/app/config.js'
import dbPlugin from '../plugins/app/db.js'
import drain from '../plugins/app/drain.js'
import emailFlows from '../plugins/app/email-flows.js'
import errorHandler, { clientErrorHandler, frameworkErrors } from '../plugins/app/error-handler.js'
import health from '../plugins/app/health.js'
import loginThrottle from '../plugins/app/login-throttle.js'
import mail from '../plugins/app/mail.js'
import metrics from '../plugins/app/metrics.js'
import mfa from '../plugins/app/mfa.js'
import passkeys from '../plugins/app/passkeys.js'
import passwordBlocklist from '../plugins/app/password-blocklist.js'
import passwordFields from '../plugins/app/password-fields.js'
import passwords from '../plugins/app/passwords.js'
import profile from '../plugins/app/profile.js'
import refreshCookie from '../plugins/app/refresh-cookie.js'
import sessionActions from '../plugins/app/session-actions.js'
import sessions from '../plugins/app/sessions.js'
import signupCapacity from '../plugins/app/signup-capacity.js'
import users from '../plugins/app/users.js'
import rateLimit from '../plugins/external/rate-limit.js'
import redisPlugin from '../plugins/external/redis.js'
import security from '../plugins/external/security.js'
import swagger from '../plugins/external/swagger.js'
import authRoutes from '../routes/auth/index.js'
import compatRoutes from '../routes/compat/index.js'
import healthRoutes from '../routes/health.js'
import jwksRoutes from '../routes/jwks.js'
import appLinkRoutes from '../routes/app-links.js'
import pageRoutes from '../routes/pages.js'
import { AdminUser } from '../schemas/admin.js'
import { AuthEventView } from '../schemas/events.js'
import { AccessTokenClaims } from '../schemas/auth.js'
import { ErrorResponse } from '../schemas/common.js'
import { SessionInfo } from '../schemas/sessions.js'
import { User } from '../schemas/user.js'

/** Largest request body accepted: every JSON body of this API fits in a few hundred bytes. */
export const BODY_LIMIT = 16 * 1024

export function serverOptions (config: Config): FastifyHttpOptions<Server> {
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
    // A slowly sent body cannot hold a worker, or outlive the authorization checked when it is complete.
    requestTimeout: config.requestTimeout * 1000,
    // The same deadline for the headers alone, checked every second (Node checks every 30 s, and
    // gives headers 60 s), so that a trickled request is cut within a second of it.
    http: { headersTimeout: config.requestTimeout * 1000, connectionsCheckingInterval: 1000 },
    // plugins/app/drain.ts answers the requests that arrive while closing, in the common error shape.
    return503OnClosing: false,
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
  // First, so that every answer carries it: a client can quote the id of a failed request, and
  // operators find it in the log.
  fastify.addHook('onRequest', function setRequestId (request, reply, done) {
    reply.header('x-request-id', request.id)
    done()
  })
  // Next, so that a request arriving while the app closes is refused before any other work.
  await fastify.register(drain)
  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(redisPlugin)
  await fastify.register(rateLimit)
  await fastify.register(security)
  await fastify.register(errorHandler)
  await fastify.register(clientAddress)
  await fastify.register(dbPlugin)
  await fastify.register(health)
  // Each service after those it needs.
  await fastify.register(accessTokens)
  await fastify.register(passwords)
  await fastify.register(passwordBlocklist)
  await fastify.register(users)
  await fastify.register(audit)
  await fastify.register(mail)
  await fastify.register(sessions)
  await fastify.register(sessionActions)
  await fastify.register(loginThrottle)
  await fastify.register(signupCapacity)
  await fastify.register(emailFlows)
  await fastify.register(profile)
  await fastify.register(mfa)
  await fastify.register(passkeys)
  await fastify.register(accounts)
  await fastify.register(admin)
  await fastify.register(authGuard)
  await fastify.register(refreshCookie)
  await fastify.register(passwordFields)
  // Before the routes, so that its onResponse hook times every one of them.
  await fastify.register(metrics)
  await fastify.register(swagger)

  for (const schema of [ErrorResponse, User, AdminUser, AuthEventView, AccessTokenClaims, SessionInfo]) {
    fastify.addSchema(schema)
  }

  // The API speaks JSON only: any other body type is a 415, never parsed as text. No cross-site form
  // can send JSON, which is part of what keeps the refresh cookie from being used by another site.
  fastify.removeContentTypeParser('text/plain')

  await fastify.register(healthRoutes)
  await fastify.register(jwksRoutes)
  await fastify.register(appLinkRoutes)
  const { authPrefix, compatProfile } = opts.config
  await fastify.register(authRoutes, { prefix: authPrefix })
  if (compatProfile !== undefined) await fastify.register(compatRoutes[compatProfile])
  await fastify.register(pageRoutes, { root: join(projectRoot(), 'public'), api: authPrefix })
}, { name: 'app' })

export default app

/** Builds the app; logger `overrides` are merged over the service's own, so redaction stays in force. */
export async function buildApp (config: Config, overrides: Partial<FastifyServerOptions> = {}) {
  const base = serverOptions(config)
  const logger = typeof overrides.logger === 'object' && typeof base.logger === 'object'
    ? { ...base.logger, ...overrides.logger }
    : overrides.logger ?? base.logger
  const fastify = Fastify({ ...base, ...overrides, logger }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(app, { config })
  return fastify
}
