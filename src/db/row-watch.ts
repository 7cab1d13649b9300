/** SQLite's row watch: what lets rows be kept in memory without going stale. */
import type Sqlite from 'better-sqlite3'
import type { RowChange, RowWatch } from './store.js'

/**
 * How often, at most, `catchUp` reads `PRAGMA data_version` (milliseconds): the read takes file locks, too
 * costly on every token check. The price: another process's commit may be seen this late.
 */
export const OTHER_COMMITS_CHECK_MS = 1

/** The tables whose rows a cache may hold. */
const WATCHED_TABLES = ['users', 'sessions'] as const

export function watchRows (sqlite: Sqlite.Database): RowWatch {
  const listeners: Array<(change: RowChange) => void> = []
  let generation = 0
  const tell = (change: RowChange) => {
    generation++
    for (const listener of listeners) listener(change)
  }
  sqlite.function('auth_row_changed', { deterministic: false }, (table: unknown, id: unknown) => {
    tell({ table: table as 'users' | 'sessions', id: String(id) })
    return null
  })
  // A row replaced by INSERT OR REPLACE is deleted: with this, that deletion fires the triggers too.
  sqlite.pragma('recursive_triggers = ON')
  // TEMP triggers belong to this connection alone and leave the database file as it was.
  for (const table of WATCHED_TABLES) {
    for (const event of ['UPDATE', 'DELETE']) {
      sqlite.exec(
        `CREATE TEMP TRIGGER "${table}_${event.toLowerCase()}_watch" AFTER ${event} ON main."${table}" ` +
        `BEGIN SELECT auth_row_changed('${table}', OLD.id); END`
      )
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
    settled: () => !sqlite.inTransaction,
    get generation () { return generation }
  }
}
