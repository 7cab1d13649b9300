/**
 * The database behind one interface: SQLite (a file, the default) or PostgreSQL (DATABASE_URL=postgres://…).
 * Repositories are written once, to the part of drizzle's API both dialects share (awaited builders,
 * `.returning()`, `.limit(1)`, and this interface's `transaction` and `prepare`), typed against SQLite's
 * tables; PostgreSQL's (schema.pg.ts) have the same names, columns and row types. The behaviour suites
 * run on both engines, which keeps a dialect-only call from slipping in.
 */
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import type * as schema from './schema.js'

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
