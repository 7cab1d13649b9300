/** Opening the database DATABASE_URL names; the types every repository uses. */
import { openPostgres } from './postgres.js'
import { openSqlite } from './sqlite.js'
import type { WatchEvents } from './pg-watch.js'
import type { Store } from './store.js'
import { isPostgresUrl } from './url.js'

export type { Database, Dialect, Executor, Prepared, RowChange, RowWatch, Store, Tables } from './store.js'
export { OTHER_COMMITS_CHECK_MS } from './row-watch.js'
export { databaseUnreachable } from './unreachable.js'
export { isPostgresUrl } from './url.js'

/** Opens the database DATABASE_URL names and brings its schema up to date. */
export function openStore (
  url: string,
  options: { poolSize?: number, onIdleError?: (error: Error) => void, onWatch?: WatchEvents } = {}
): Promise<Store> {
  return isPostgresUrl(url)
    ? openPostgres(url, options.poolSize, options.onIdleError, options.onWatch)
    : Promise.resolve(openSqlite(url))
}
