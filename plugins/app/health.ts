import fp from 'fastify-plugin'
import { DatabaseUnavailable } from '../../src/errors.js'
import { shared } from '../../src/limits/shared.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves when the database answers, and Redis too when REDIS_URL is set; a 503 error otherwise. */
    checkHealth: () => Promise<void>
  }
}

/** Readiness: what /health asks of the instance's dependencies. */
export default fp(async function health (fastify) {
  const { store, redis } = fastify
  fastify.decorate('checkHealth', async function checkHealth () {
    try {
      await store.ping()
    } catch {
      throw new DatabaseUnavailable()
    }
    if (redis !== undefined) await shared(() => redis.ping())
  })
}, { name: 'health', dependencies: ['db', 'redis'] })
