import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { RateLimit } from '../../src/env.js'
import { RateLimited } from '../../src/errors.js'
import { shared } from '../../src/limits/shared.js'

/** The endpoints with a limit of their own (RATE_LIMIT_SIGNUP, …), tighter than the global one. */
export type EndpointLimit = 'signup' | 'login' | 'passkey' | 'refresh' | 'password' | 'email'

declare module 'fastify' {
  interface FastifyInstance {
    /** The limits as `onRequest` hooks; empty when rate limiting is disabled. */
    endpointLimits: Record<'global' | EndpointLimit, onRequestHookHandler[]>
  }
  interface FastifyContextConfig {
    /**
     * The endpoint limit the route counts against instead of the global one; an alias shares its route's.
     * A function picks the limit by the request, once its body is read (undefined: the global one).
     */
    limit?: EndpointLimit | ((request: FastifyRequest) => EndpointLimit | undefined)
  }
}

/** A fixed window per key: counted, and given its expiry at the first hit. */
const INCREMENT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {current, redis.call('PTTL', KEYS[1])}
`

/**
 * The limiter's counts in Redis, shared by every instance. Each limiter has its own key space, named by
 * `limiter` (the library's store would put a client's endpoint limits in one count); a failure is a 503.
 */
function redisStore (redis: Redis, prefix: string): FastifyRateLimitStoreCtor {
  return class SharedStore implements FastifyRateLimitStore {
    /** The global store's; children are named by their limiter. */
    key = `${prefix}rate:global:`

    incr (key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number): void {
      shared(() => redis.eval(INCREMENT_SCRIPT, 1, this.key + key, timeWindow) as Promise<[number, number]>)
        .then(([current, ttl]) => callback(null, { current, ttl }), callback)
    }

    child (options: Parameters<FastifyRateLimitStore['child']>[0]): SharedStore {
      const store = new SharedStore()
      // A route's own limit (config.rateLimit) is named by its method and path, as the library does.
      const { limiter, routeInfo } = options as
        { limiter?: string, routeInfo?: { method?: string, url?: string } }
      store.key = `${prefix}rate:${limiter ?? `${routeInfo?.method}${routeInfo?.url}`}:`
      return store
    }
  }
}

/**
 * Per-client-IP request limits, a global one and tighter ones per endpoint, shared through Redis with
 * REDIS_URL. The IP is the socket's unless the request came through a proxy in TRUST_PROXY.
 */
export default fp(async function rateLimiting (fastify) {
  const { rateLimit: limits, redisPrefix } = fastify.config
  const { enabled, global, signup, login, refresh, password, email } = limits
  if (!enabled) {
    fastify.decorate('endpointLimits', { global: [], signup: [], login: [], passkey: [], refresh: [], password: [], email: [] })
    return
  }
  // Added before the library's own onRoute hook, which must then see the global limit turned off.
  fastify.addHook('onRoute', route => {
    const limit = route.config?.limit
    if (limit === undefined) return
    route.config = { ...route.config, rateLimit: false }
    if (typeof limit === 'string') {
      route.onRequest = [...fastify.endpointLimits[limit], ...[route.onRequest ?? []].flat()]
      return
    }
    // Before the route's own preHandlers (the auth guard): one limiter or the other, never both.
    route.preHandler = [async function limitByRequest (request, reply) {
      const hooks = fastify.endpointLimits[limit(request) ?? 'global'] as unknown as
        Array<(request: FastifyRequest, reply: unknown) => Promise<void>>
      for (const hook of hooks) await hook.call(fastify, request, reply)
    }, ...[route.preHandler ?? []].flat()]
  })
  await fastify.register(rateLimit, {
    global: true,
    max: global.max,
    timeWindow: global.windowMs,
    ...(fastify.redis === undefined ? {} : { store: redisStore(fastify.redis, redisPrefix) }),
    errorResponseBuilder: (_request, context) => new RateLimited(context.after)
  })
  const limiter = (name: string, limit: RateLimit) => [fastify.rateLimit(
    { max: limit.max, timeWindow: limit.windowMs, limiter: name } as Parameters<typeof fastify.rateLimit>[0]
  ) as onRequestHookHandler]
  fastify.decorate('endpointLimits', {
    // Without options, the limiter shares the global per-client bucket (used for unknown routes).
    global: [fastify.rateLimit() as onRequestHookHandler],
    signup: limiter('signup', signup),
    login: limiter('login', login),
    // A passkey sign-in's options, at RATE_LIMIT_LOGIN too but counted apart: the login page asks for them on
    // each view (for the browser's autofill), which must not use up the password logins of a shared address.
    passkey: limiter('passkey', login),
    refresh: limiter('refresh', refresh),
    password: limiter('password', password),
    email: limiter('email', email)
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis'] })
