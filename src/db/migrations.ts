/** Where the generated migrations are, from the sources or from dist/, and whether a database has them all. */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql, type SQL } from 'drizzle-orm'
import type { Dialect, Store } from './store.js'

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

/**
 * Returns a check that lists the migrations of this build's journal that `store` has not recorded. Drizzle
 * records each applied migration by its journal time (`when`) in `__drizzle_migrations`: in the main database
 * on SQLite, in the `drizzle` schema on PostgreSQL. The journal is read once.
 */
export function unappliedMigrations (store: Store): () => Promise<string[]> {
  const journalFile = join(migrationsFolder(store.dialect), 'meta', '_journal.json')
  const { entries } = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { when: number, tag: string }[] }
  type Row = { created_at: number | string }
  const read: () => Promise<Row[]> = store.dialect === 'postgres'
    ? async () => {
      // The store's `db` is typed as SQLite's; on PostgreSQL it is node-postgres' drizzle, whose raw query is execute.
      const db = store.db as unknown as { execute: (query: SQL) => Promise<{ rows: Row[] }> }
      return (await db.execute(sql`SELECT created_at FROM drizzle.__drizzle_migrations`)).rows
    }
    : () => store.db.all<Row>(sql`SELECT created_at FROM __drizzle_migrations`)
  return async function unapplied () {
    // PostgreSQL's bigint comes as a string.
    const recorded = new Set((await read()).map(row => Number(row.created_at)))
    return entries.filter(entry => !recorded.has(entry.when)).map(entry => entry.tag)
  }
}
