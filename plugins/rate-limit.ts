import rateLimit from '@fastify/rate-limit'
import type { onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { RateLimit } from '../src/config.js'
import { RateLimited } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The tighter limits of sensitive endpoints, as `onRequest` hooks. A route and its alias
     * share one limiter, so `/auth/signup` is not a second budget beside `/auth/register`.
     * Empty when rate limiting is disabled.
     */
    endpointLimits: Record<'global' | 'signup' | 'login' | 'refresh' | 'password', onRequestHookHandler[]>
  }
}

/**
 * Per-client-IP request limits over all routes (`RATE_LIMIT_GLOBAL`), and tighter ones for
 * signup, login, refresh and password change. The client IP is the socket's address unless
 * the request came through a proxy listed in TRUST_PROXY.
 */
export default fp(async function rateLimiting (fastify) {
  const { enabled, global, signup, login, refresh, password } = fastify.config.rateLimit
  if (!enabled) {
    fastify.decorate('endpointLimits', { global: [], signup: [], login: [], refresh: [], password: [] })
    return
  }
  await fastify.register(rateLimit, {
    global: true,
    max: global.max,
    timeWindow: global.windowMs,
    errorResponseBuilder: (_request, context) => new RateLimited(context.after)
  })
  const limiter = (limit: RateLimit) => [fastify.rateLimit({ max: limit.max, timeWindow: limit.windowMs }) as onRequestHookHandler]
  fastify.decorate('endpointLimits', {
    // Without options, the limiter shares the global per-client bucket (used for unknown routes).
    global: [fastify.rateLimit() as onRequestHookHandler],
    signup: limiter(signup),
    login: limiter(login),
    refresh: limiter(refresh),
    password: limiter(password)
  })
}, { name: 'rate-limit', dependencies: ['config'] })
