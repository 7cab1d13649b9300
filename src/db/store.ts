/**
 * The database behind one interface: SQLite (the default) or PostgreSQL. Repositories are written once,
 * to the part of drizzle's API both dialects share, typed against SQLite's tables; PostgreSQL's
 * (schema.pg.ts) have the same names, columns and row types.
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
  readonly tables: Tables
  /**
   * Runs `work` in one transaction; `work` awaits nothing but its own queries and never opens another.
   * `lock` names a lock held until the end, serializing the transactions that take it across instances.
   */
  transaction: <T>(work: (tx: Executor) => Promise<T>, options?: { lock?: string }) => Promise<T>
  /**
   * A write outside any caller's transaction. On SQLite it waits its turn: on one connection, a statement
   * run while a transaction is open would belong to it, and be undone by its rollback.
   */
  write: <T>(work: (db: Executor) => Promise<T>) => Promise<T>
  /** Prepares a hot path's read once. Placeholder values are plain strings and numbers; times go through `time`. */
  prepare: <T>(
    name: string, query: { prepare: () => { all: (values?: Record<string, unknown>) => Promise<T[]> } }
  ) => Prepared<T>
  /** How many rows an awaited insert, update or delete (without `returning`) touched. */
  changes: (result: unknown) => number
  /** A time as a placeholder value: milliseconds for SQLite, a Date for PostgreSQL. */
  time: (ms: number) => number | Date
  ping: () => Promise<void>
  close: () => Promise<void>
  /** Lets rows be kept in memory: the data layer tells of every change to them, whichever instance made it. */
  readonly watch: RowWatch
}

/** A changed user or session row; `*` for another process's commit, which could have changed any row. */
export type RowChange = { table: 'users' | 'sessions', id: string } | { table: '*' }

/**
 * Changes to users and sessions rows, told by the data layer itself: SQLite's triggers and `PRAGMA
 * data_version`, or PostgreSQL's triggers through LISTEN/NOTIFY.
 */
export interface RowWatch {
  listen: (listener: (change: RowChange) => void) => void
  /** SQLite: tells the listeners `*` if another connection has committed; looks at most every `OTHER_COMMITS_CHECK_MS`. */
  catchUp: () => void
  /**
   * Whether a row read now may be kept: on SQLite, no transaction is open whose uncommitted writes a read
   * would see; on PostgreSQL, the watch is listening.
   */
  settled: () => boolean
  /** How many changes have been told: a row read before a change and kept after it would be stale. */
  readonly generation: number
  /**
   * PostgreSQL: resolves once every change committed before the call has been told, so a kept row is as fresh
   * as a read; rejects while the watch is not listening. SQLite tells changes synchronously: absent.
   */
  sync?: () => Promise<void>
}
