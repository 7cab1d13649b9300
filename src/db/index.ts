/**
 * The database: SQLite (a file, the default) or PostgreSQL (DATABASE_URL=postgres://…), opened,
 * tuned and migrated at start-up, behind one interface so that no repository above knows which.
 *
 * The repositories are written once, to the part of drizzle's API both dialects share: awaited
 * query builders, `.returning()` for the rows a write touched, `.limit(1)` for a single row, and
 * this module's `transaction` and `prepare`. They are typed against drizzle's asynchronous SQLite
 * database and SQLite's tables (schema.ts); with PostgreSQL they are given PostgreSQL's tables
 * (schema.pg.ts), which have the same names, columns and row types. The behaviour suites run
 * against both engines, which is what keeps a dialect-only call from slipping in.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Sqlite from 'better-sqlite3'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import type pg from 'pg'
import { isPostgresUrl } from '../config.js'
import * as schema from './schema.js'

export type Tables = typeof schema
/** A database or an open transaction, as the repositories see either engine. */
export type Database = BaseSQLiteDatabase<'async', unknown, Tables>
/** A write that may be part of a larger one takes the caller's transaction, or the database. */
export type Executor = Database
export type Dialect = 'sqlite' | 'postgres'

/** A query prepared once, run with its placeholders' values; the rows it returns. */
export type Prepared<T> = (values: Record<string, unknown>) => Promise<T[]> | T[]

export interface Store {
  readonly dialect: Dialect
  readonly db: Database
  /** The tables of this engine's schema. */
  readonly tables: Tables
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * `work` awaits nothing but the transaction's own queries, and never opens another one.
   * `lock` names a lock held until the end, serializing the transactions that take it across
   * every instance (SQLite's write lock already serializes every transaction).
   */
  transaction: <T>(work: (tx: Executor) => Promise<T>, options?: { lock?: string }) => Promise<T>
  /**
   * A write outside any caller's transaction. On SQLite it takes its turn among the transactions
   * (on one connection, a statement run while a transaction is open would belong to it, and be
   * undone by its rollback); on PostgreSQL it runs at once, in a transaction of its own.
   */
  write: <T>(work: (db: Executor) => Promise<T>) => Promise<T>
  /**
   * Prepares a query once (on PostgreSQL, a named statement on each connection): the hot paths'
   * reads. The placeholders' values must be plain strings and numbers; times go through `time`.
   */
  prepare: <T>(name: string, query: { prepare: () => { all: (values?: Record<string, unknown>) => Promise<T[]> } }) => Prepared<T>
  /** How many rows an awaited insert, update or delete (without `returning`) touched. */
  changes: (result: unknown) => number
  /** A time as a placeholder value: milliseconds for SQLite, a Date for PostgreSQL. */
  time: (ms: number) => number | Date
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping: () => Promise<void>
  close: () => Promise<void>
  /**
   * What lets rows be kept in memory without going stale (SQLite only; see `RowWatch`). Undefined
   * on PostgreSQL: other instances commit there, and nothing would tell this one in time.
   */
  readonly watch?: RowWatch
}

/** A change to a user's or a session's row, by its id; `*` for a commit of another process, which could have changed any row. */
export type RowChange = { table: 'users' | 'sessions', id: string } | { table: '*' }

/**
 * The changes to the users and sessions tables, told by the data layer itself: temporary
 * triggers on this connection report every row it updates or deletes, as the statement runs,
 * whichever code ran it; `PRAGMA data_version` tells of commits made on other connections
 * (another process on the same file, the CLI).
 */
export interface RowWatch {
  listen: (listener: (change: RowChange) => void) => void
  /**
   * Tells the listeners `*` when another connection has committed since it last looked, which it
   * does at most once every `OTHER_COMMITS_CHECK_MS`: a call made that long or longer after a
   * commit by another process finds it told.
   */
  catchUp: () => void
  /** Whether a row read now is committed: no transaction is open on this connection, whose uncommitted writes its reads would see. */
  settled: () => boolean
}

/**
 * Error codes of a database that cannot be reached or does not answer in time: the network's,
 * PostgreSQL's connection and shutdown classes, a statement or lock wait cancelled by its timeout,
 * no connection slot left, and SQLite's file lock held past the busy timeout.
 */
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|08\w{3}|57P0[1-3]|57014|55P03|53300|SQLITE_BUSY)$/

/**
 * Whether a query failed because the database could not be reached (PostgreSQL down, the network
 * cut, the pool waiting too long for a connection, the store closed) rather than for what it asked.
 */
export function databaseUnreachable (error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const { code, message } = current as Error & { code?: unknown }
    if (typeof code === 'string' && UNREACHABLE.test(code)) return true
    if (/^(Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|The database connection is not open)/.test(message)) return true
  }
  return false
}

/** The checkout's root: the nearest folder with a package.json, from source or from dist/. */
export function projectRoot (): string {
  let folder = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder)
    if (parent === folder) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url))
    folder = parent
  }
  return folder
}

export const migrationsFolder = (dialect: Dialect) => join(projectRoot(), 'drizzle', dialect)

/** Opens the database DATABASE_URL names and brings its schema up to date. */
export function openStore (url: string, options: { poolSize?: number, onIdleError?: (error: Error) => void } = {}): Promise<Store> {
  return isPostgresUrl(url) ? openPostgres(url, options.poolSize, options.onIdleError) : Promise.resolve(openSqlite(url))
}

/**
 * Applies SQLite's migrations. Processes starting together on one new file may both find it
 * unmigrated; the one that loses the race fails on a table the winner made. It then waits a
 * moment and looks again, and finds the migrations applied (up to 5 s in all).
 */
function migrateSqliteOnce (db: Parameters<typeof migrateSqlite>[0]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      migrateSqlite(db, { migrationsFolder: migrationsFolder('sqlite') })
      return
    } catch (error) {
      if (attempt >= 50 || !/already exists/.test(String((error as Error).cause ?? error))) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
    }
  }
}

/**
 * How often, at most, `catchUp` reads `PRAGMA data_version` (milliseconds). The read opens a
 * read transaction, whose file locks cost about a fifth of a token check under load; once a
 * millisecond, it costs next to nothing. The price: a commit made by another process (the CLI, a
 * second instance on the same file) is seen up to a millisecond late, so a fast client on
 * loopback can still be served by the state before it within that window.
 */
export const OTHER_COMMITS_CHECK_MS = 1

/** The tables whose rows a cache may hold: a user's account, and the sessions that are live. */
const WATCHED_TABLES = ['users', 'sessions'] as const

function watchRows (sqlite: Sqlite.Database): RowWatch {
  const listeners: Array<(change: RowChange) => void> = []
  const tell = (change: RowChange) => { for (const listener of listeners) listener(change) }
  sqlite.function('auth_row_changed', { deterministic: false }, (table: unknown, id: unknown) => {
    tell({ table: table as 'users' | 'sessions', id: String(id) })
    return null
  })
  // A row replaced by INSERT OR REPLACE is deleted: with this, that deletion fires the triggers too.
  sqlite.pragma('recursive_triggers = ON')
  // TEMP triggers belong to this connection alone and leave the database file as it was.
  for (const table of WATCHED_TABLES) {
    for (const event of ['UPDATE', 'DELETE']) {
      sqlite.exec(`CREATE TEMP TRIGGER "${table}_${event.toLowerCase()}_watch" AFTER ${event} ON main."${table}" BEGIN SELECT auth_row_changed('${table}', OLD.id); END`)
    }
  }
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  let seen = dataVersion.get()
  let lookedAt = performance.now()
  return {
    listen: listener => { listeners.push(listener) },
    catchUp () {
      const now = performance.now()
      if (now - lookedAt < OTHER_COMMITS_CHECK_MS) return
      const version = dataVersion.get()
      // Only a look that succeeded counts: after a failed one (the file busy), the next call looks again.
      lookedAt = now
      if (version === seen) return
      seen = version
      tell({ table: '*' })
    },
    settled: () => !sqlite.inTransaction
  }
}

function openSqlite (url: string): Store {
  const memory = url === ':memory:'
  if (!memory) mkdirSync(dirname(resolve(url)), { recursive: true })
  const sqlite = new Sqlite(url)
  try {
    // WAL lets readers run beside the writer; NORMAL is durable across application crashes
    // and loses at most the last transactions on power loss, the usual trade-off for WAL.
    if (!memory) sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    const db = drizzleSqlite(sqlite, { schema })
    migrateSqliteOnce(db)
    const ping = sqlite.prepare('SELECT 1')
    const watch = watchRows(sqlite)
    let queue: Promise<unknown> = Promise.resolve()
    const store: Store = {
      dialect: 'sqlite',
      // better-sqlite3 answers synchronously; awaiting its builders yields the same rows.
      db: db as unknown as Database,
      tables: schema,
      /**
       * One connection, so one transaction at a time, in a queue; every write waits its turn in
       * it (`write`). BEGIN IMMEDIATE takes the write lock at once, so processes sharing the file
       * are serialized rather than deadlocked. Reads run at once: one that comes while a
       * transaction is open may see its writes before they are committed.
       */
      transaction (work) {
        const run = queue.then(async () => {
          sqlite.exec('BEGIN IMMEDIATE')
          try {
            const result = await work(db as unknown as Database)
            sqlite.exec('COMMIT')
            return result
          } catch (error) {
            if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
            throw error
          }
        })
        queue = run.catch(() => {})
        return run
      },
      write: work => store.transaction(work),
      prepare (_name, query) {
        const prepared = query.prepare()
        return values => prepared.all(values)
      },
      changes: result => (result as Sqlite.RunResult).changes,
      time: ms => ms,
      async ping () {
        ping.get()
      },
      async close () {
        if (sqlite.open) sqlite.close()
      },
      watch
    }
    return store
  } catch (error) {
    sqlite.close()
    throw error
  }
}

/** The advisory lock that serializes migrations of instances starting together. */
const MIGRATION_LOCK = 7_306_417_001
/** A statement running longer is cancelled by the server, and a lock waited for longer is given up: a 503 for the request. */
const STATEMENT_TIMEOUT_MS = 10_000
const LOCK_TIMEOUT_MS = 5_000
/** PostgreSQL's codes for a transaction aborted by a deadlock or a serialization failure: run again, once. */
const RETRYABLE = new Set(['40P01', '40001'])

/** The driver's error code of a failure, looked for through drizzle's wrapping. */
function driverCode (error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const { code } = current as Error & { code?: unknown }
    if (typeof code === 'string') return code
  }
  return undefined
}

/** PostgreSQL's driver and schema, loaded only when DATABASE_URL names PostgreSQL: a SQLite start does not pay for them. */
async function postgresModules () {
  const [{ default: pg }, { drizzle }, { migrate }, schema] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
    import('./schema.pg.js')
  ])
  return { pg, drizzlePostgres: drizzle, migratePostgres: migrate, pgSchema: schema }
}

/** Migrates on a connection of its own, without the pool's timeouts: an instance waits for another one's migration however long it takes. */
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
    // Ending the session also releases the lock.
    await client.end()
  }
}

async function openPostgres (url: string, poolSize = 10, onIdleError: (error: Error) => void = () => {}): Promise<Store> {
  await migrateOnce(url)
  const { pg, drizzlePostgres, pgSchema } = await postgresModules()
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A database that does not answer fails the request with 503 rather than holding it: no
    // connection within 5 s, or a statement or lock wait the server gives up on.
    connectionTimeoutMillis: 5000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    lock_timeout: LOCK_TIMEOUT_MS,
    idle_in_transaction_session_timeout: 3 * STATEMENT_TIMEOUT_MS,
    // Probes an idle connection after 10 s, so a peer gone without a word is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000
  })
  // A connection that breaks while idle is replaced at the next query; it must not end the process.
  pool.on('error', onIdleError)
  const db = drizzlePostgres(pool, { schema: pgSchema })

  /**
   * One attempt on a connection of its own. A connection whose BEGIN or ROLLBACK failed is in an
   * unknown state (or gone): it is discarded rather than given back to the pool.
   */
  async function attempt<T> (work: (tx: Executor) => Promise<T>, lock?: string): Promise<T> {
    const client = await pool.connect()
    let discard: Error | undefined
    try {
      await client.query('BEGIN').catch((error: Error) => { discard = error; throw error })
      try {
        // Serializes the transactions that take the same named lock, across every instance.
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
      const prepared = (query.prepare as unknown as (name: string) => { execute: (values: Record<string, unknown>) => Promise<never[]> }).call(query, name)
      return values => prepared.execute(values)
    },
    changes: result => (result as pg.QueryResult).rowCount ?? 0,
    time: ms => new Date(ms),
    async ping () {
      await pool.query('SELECT 1')
    },
    async close () {
      if (!pool.ended) await pool.end()
    }
  }
}
