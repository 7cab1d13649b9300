import fp from 'fastify-plugin'
import { unappliedMigrations } from '../../src/db/migrations.js'
import { DatabaseUnavailable, NotReady } from '../../src/errors.js'
import { shared } from '../../src/limits/shared.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves when the database answers, and Redis too when REDIS_URL is set; a 503 error otherwise. */
    checkHealth: () => Promise<void>
    /**
     * Resolves when the instance should get traffic: not closing, its database answering with every migration
     * of this build applied, and Redis answering when REDIS_URL is set; a 503 NOT_READY naming what failed.
     */
    checkReadiness: () => Promise<void>
  }
}

/** What /health and /health/ready ask of the instance's dependencies. */
export default fp(async function health (fastify) {
  const { store, redis } = fastify
  const unapplied = unappliedMigrations(store)
  fastify.decorate('checkHealth', async function checkHealth () {
    try {
      await store.ping()
    } catch {
      throw new DatabaseUnavailable()
    }
    if (redis !== undefined) await shared(() => redis.ping())
  })

  /** What is wrong with the database, if anything; the error itself goes to the log, never to the client. */
  async function databaseProblem (): Promise<string | undefined> {
    try {
      await store.ping()
    } catch (error) {
      fastify.log.warn({ err: error }, 'readiness: the database does not answer')
      return 'the database is not reachable'
    }
    try {
      const missing = await unapplied()
      if (missing.length > 0) return `migrations not applied: ${missing.join(', ')}`
    } catch (error) {
      fastify.log.warn({ err: error }, 'readiness: the applied migrations could not be read')
      return 'the applied migrations could not be read'
    }
  }

  async function redisProblem (): Promise<string | undefined> {
    if (redis === undefined) return
    try {
      await redis.ping()
    } catch (error) {
      fastify.log.warn({ err: error }, 'readiness: Redis does not answer')
      return 'Redis is not reachable'
    }
  }

  fastify.decorate('checkReadiness', async function checkReadiness () {
    // Checked first, and again after the round trips: a close may have begun meanwhile.
    if (fastify.draining) throw new NotReady('the instance is shutting down')
    const problems = (await Promise.all([databaseProblem(), redisProblem()])).filter(problem => problem !== undefined)
    if (fastify.draining) problems.unshift('the instance is shutting down')
    if (problems.length > 0) throw new NotReady(problems.join('; '))
  })
}, { name: 'health', dependencies: ['db', 'redis', 'drain'] })
