/** SQLite: one connection, tuned and migrated at start-up, with writes queued as transactions. */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Sqlite from 'better-sqlite3'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { migrationsFolder } from './migrations.js'
import { watchRows } from './row-watch.js'
import * as schema from './schema.js'
import type { Database, Store } from './store.js'

/**
 * Processes starting together on a new file may both find it unmigrated; the one that loses the race
 * fails on a table the winner made, so it waits a moment and looks again.
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

export function openSqlite (url: string): Store {
  const memory = url === ':memory:'
  if (!memory) mkdirSync(dirname(resolve(url)), { recursive: true })
  const sqlite = new Sqlite(url)
  try {
    // WAL lets readers run beside the writer; NORMAL survives application crashes and may lose the
    // last transactions on power loss, the usual trade-off for WAL.
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
       * One connection, so one transaction at a time, in a queue. BEGIN IMMEDIATE takes the write lock at
       * once, so processes sharing the file are serialized rather than deadlocked. Reads run at once, and may
       * see an open transaction's uncommitted writes.
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
