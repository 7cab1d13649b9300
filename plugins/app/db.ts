import fp from 'fastify-plugin'
import { openStore, type Store } from '../../src/db/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

/** The database (SQLite or PostgreSQL, by DATABASE_URL), migrated at start-up and closed with the app. */
export default fp(async function db (fastify) {
  const store = await openStore(fastify.config.databaseUrl, {
    poolSize: fastify.config.databasePoolSize,
    onIdleError: error => fastify.log.warn(
      { err: error }, 'a PostgreSQL connection broke while idle; it is replaced at the next query'
    )
  })
  fastify.decorate('store', store)
  fastify.addHook('onClose', () => store.close())
}, { name: 'db', dependencies: ['config'] })
