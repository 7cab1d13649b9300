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
    ),
    onWatch: (state, error) => {
      if (state === 'up') fastify.log.info('listening for row changes again: token checks use the session cache')
      else fastify.log.warn({ err: error }, 'not listening for row changes: token checks read the database until it is back')
    }
  })
  fastify.decorate('store', store)
  fastify.addHook('onClose', () => store.close())
}, { name: 'db', dependencies: ['config'] })
