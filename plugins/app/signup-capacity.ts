import fp from 'fastify-plugin'
import { MemorySignupCapacity, RedisSignupCapacity, type SignupCapacity } from '../../src/limits/signup-capacity.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Absent when RATE_LIMIT_ENABLED is false. */
    signupCapacity?: SignupCapacity
  }
}

/** The service-wide cap on new accounts: in Redis with REDIS_URL, shared by every instance; else in this process. */
export default fp(async function signupCapacity (fastify) {
  const { config, redis } = fastify
  const limit = config.rateLimit.signupCapacity
  const capacity = !config.rateLimit.enabled
    ? undefined
    : redis === undefined ? new MemorySignupCapacity(limit) : new RedisSignupCapacity(redis, limit, config.redisPrefix)
  fastify.decorate<SignupCapacity | undefined>('signupCapacity', capacity)
}, { name: 'signup-capacity', dependencies: ['config', 'redis'] })
