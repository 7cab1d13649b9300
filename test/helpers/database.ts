/** The test databases: PostgreSQL ones made and dropped per test, SQLite files, and raw SQL on either. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SQL, sql } from 'drizzle-orm'
import pg from 'pg'
import type { App, Teardown } from './types.js'

/** The test PostgreSQL, set by CI (`.ci/run`); the PostgreSQL suites are skipped without it. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL
export const POSTGRES_SKIP = TEST_DATABASE_URL === undefined
  ? 'TEST_DATABASE_URL is not set: the PostgreSQL suites need a PostgreSQL server (CI sets it to 127.0.0.1:5432, database test)'
  : false

/**
 * `TEST_ENGINE=postgres` (`npm run test:postgres`) runs the behaviour suites again on PostgreSQL:
 * each app built without a DATABASE_URL of its own then gets a new, empty PostgreSQL database.
 */
export const ON_POSTGRES = process.env.TEST_ENGINE === 'postgres'

let databases = 0
/** A new, empty PostgreSQL database, as `DATABASE_URL`; dropped when the test ends. */
export async function postgresDatabase (t: Teardown): Promise<Record<string, string>> {
  if (TEST_DATABASE_URL === undefined) throw new Error('TEST_DATABASE_URL is not set')
  // A database rather than a schema: the migrations name the public schema.
  const name = `auth_test_${process.pid}_${++databases}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await dropper.connect()
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  })
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return { DATABASE_URL: url.href }
}

/** A SQLite file in a temporary folder removed when the test ends, as `DATABASE_URL`. */
export function fileDatabase (t: Teardown): Record<string, string> {
  const folder = mkdtempSync(join(tmpdir(), 'auth-test-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  return { DATABASE_URL: join(folder, 'auth.db') }
}

/**
 * A database that several apps or processes of one test share (instances, restarts, the CLI): a
 * SQLite file, or with the PostgreSQL engine a PostgreSQL database. Removed when the test ends.
 */
export async function sharedDatabase (t: Teardown): Promise<Record<string, string>> {
  return ON_POSTGRES ? await postgresDatabase(t) : fileDatabase(t)
}

/**
 * Runs SQL on an app's database, whichever the engine: `${value}`s are bound as parameters, a
 * Date as the engine keeps times. For tests that reach past the API (to age a session, say).
 */
export function query (app: App) {
  return async function run (strings: TemplateStringsArray, ...values: unknown[]): Promise<Array<Record<string, unknown>>> {
    const { store } = app
    const statement = sql(strings, ...values.map(value => value instanceof Date ? store.time(value.getTime()) : value))
    const db = store.db as unknown as {
      all: (query: SQL) => Promise<Array<Record<string, unknown>>>
      run: (query: SQL) => Promise<unknown>
      execute: (query: SQL) => Promise<{ rows: Array<Record<string, unknown>> }>
    }
    if (store.dialect === 'postgres') return (await db.execute(statement)).rows
    // better-sqlite3 reads rows only from statements that return some.
    if (/^\s*SELECT\b/i.test(strings[0] ?? '')) return db.all(statement)
    await db.run(statement)
    return []
  }
}
