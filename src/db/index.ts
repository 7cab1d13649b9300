/** Opens the SQLite database, tunes it for a service, and brings its schema up to date. */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Sqlite from 'better-sqlite3'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.js'

export type Database = BetterSQLite3Database<typeof schema>
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]
/** Either the database or an open transaction: what a write that may be part of a larger one takes. */
export type Executor = Database | Transaction

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

export const migrationsFolder = join(projectRoot(), 'drizzle', 'sqlite')

export function openDatabase (url: string): { sqlite: Sqlite.Database, db: Database } {
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
    const db = drizzle(sqlite, { schema })
    migrate(db, { migrationsFolder })
    return { sqlite, db }
  } catch (error) {
    sqlite.close()
    throw error
  }
}
