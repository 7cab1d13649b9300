import fp from 'fastify-plugin'
import type Sqlite from 'better-sqlite3'
import { type Database, openDatabase } from '../src/db/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    sqlite: Sqlite.Database
  }
}

/** The SQLite database, migrated at start-up and closed with the app. */
export default fp(async function db (fastify) {
  const { sqlite, db } = openDatabase(fastify.config.databaseUrl)
  fastify.decorate('db', db)
  fastify.decorate('sqlite', sqlite)
  fastify.addHook('onClose', async () => {
    if (sqlite.open) sqlite.close()
  })
}, { name: 'db', dependencies: ['config'] })
