/** PostgreSQL: a pool with timeouts, migrations serialized across instances, one retry of a deadlocked transaction. */
import type pg from 'pg'
import { migrationsFolder } from './migrations.js'
import { watchPostgres, type WatchEvents } from './pg-watch.js'
import type { Database, Executor, Store, Tables } from './store.js'
import { driverCode } from './unreachable.js'

/** The advisory lock that serializes migrations of instances starting together. */
const MIGRATION_LOCK = 7_306_417_001
/** Past these the server cancels the statement or gives up the lock wait: a 503 rather than a held request. */
const STATEMENT_TIMEOUT_MS = 10_000
const LOCK_TIMEOUT_MS = 5_000
/** A deadlock or a serialization failure: the transaction is run again, once. */
const RETRYABLE = new Set(['40P01', '40001'])

/** Loaded only when DATABASE_URL names PostgreSQL, so that a SQLite start does not pay for them. */
async function postgresModules () {
  const [{ default: pg }, { drizzle }, { migrate }, schema] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
    import('./schema.pg.js')
  ])
  return { pg, drizzlePostgres: drizzle, migratePostgres: migrate, pgSchema: schema }
}

/** On a connection without the pool's timeouts: an instance waits for another's migration however long it takes. */
async function migrateOnce (url: string): Promise<void> {
  const { pg, drizzlePostgres, migratePostgres } = await postgresModules()
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect().catch((error: unknown) => {
    throw new Error('DATABASE_URL: could not connect to PostgreSQL', { cause: error })
  })
  try {
    // Instances starting together migrate one after the other, each seeing the last one's work.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: migrationsFolder('postgres') })
  } finally {
    // Also releases the lock.
    await client.end()
  }
}

export async function openPostgres (
  url: string, poolSize = 10, onIdleError: (error: Error) => void = () => {}, onWatch?: WatchEvents
): Promise<Store> {
  await migrateOnce(url)
  const { pg, drizzlePostgres, pgSchema } = await postgresModules()
  const watch = await watchPostgres(pg.Client, url, onWatch)
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A database that does not answer fails the request with 503 rather than holding it.
    connectionTimeoutMillis: 5000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    lock_timeout: LOCK_TIMEOUT_MS,
    idle_in_transaction_session_timeout: 3 * STATEMENT_TIMEOUT_MS,
    // Probes idle connections, so a peer gone without a word is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000
  })
  // A connection that breaks while idle is replaced at the next query; it must not end the process.
  pool.on('error', onIdleError)
  const db = drizzlePostgres(pool, { schema: pgSchema })

  /** One attempt. A connection whose BEGIN or ROLLBACK failed is in an unknown state: it is discarded. */
  async function attempt<T> (work: (tx: Executor) => Promise<T>, lock?: string): Promise<T> {
    const client = await pool.connect()
    let discard: Error | undefined
    try {
      await client.query('BEGIN').catch((error: Error) => { discard = error; throw error })
      try {
        if (lock !== undefined) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock])
        const result = await work(drizzlePostgres(client, { schema: pgSchema }) as unknown as Database)
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => { discard = rollbackError })
        throw error
      }
    } finally {
      client.release(discard)
    }
  }

  return {
    dialect: 'postgres',
    db: db as unknown as Database,
    tables: pgSchema as unknown as Tables,
    async transaction (work, options = {}) {
      try {
        return await attempt(work, options.lock)
      } catch (error) {
        if (!RETRYABLE.has(driverCode(error) ?? '')) throw error
        return await attempt(work, options.lock)
      }
    },
    write: work => work(db as unknown as Database),
    prepare (name, query) {
      const prepared = (query.prepare as unknown as (name: string) => {
        execute: (values: Record<string, unknown>) => Promise<never[]>
      }).call(query, name)
      return values => prepared.execute(values)
    },
    changes: result => (result as pg.QueryResult).rowCount ?? 0,
    time: ms => new Date(ms),
    async ping () {
      await pool.query('SELECT 1')
    },
    async close () {
      await watch.close()
      if (!pool.ended) await pool.end()
    },
    watch
  }
}
