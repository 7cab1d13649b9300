import fp from 'fastify-plugin'
import { storedSecret } from '../../src/db/settings.js'
import { type LoginThrottle, MemoryLoginThrottle, RedisLoginThrottle } from '../../src/limits/login-throttle.js'

declare module 'fastify' {
  interface FastifyInstance {
    loginThrottle: LoginThrottle
  }
}

/** Failed logins per identifier: in Redis with REDIS_URL, shared by every instance; else in this process. */
export default fp(async function loginThrottle (fastify) {
  const { config, redis, store } = fastify
  const policy = { maxFailures: config.loginMaxFailures, failureWindow: config.loginFailureWindow }
  const throttle = redis === undefined
    ? new MemoryLoginThrottle(policy)
    : new RedisLoginThrottle(redis, policy, config.redisPrefix, await storedSecret(store, 'throttle_key'))
  fastify.decorate<LoginThrottle>('loginThrottle', throttle)
}, { name: 'login-throttle', dependencies: ['config', 'db', 'redis'] })
