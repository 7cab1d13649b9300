/**
 * The run's databases, each new and empty: SQLite files in a temporary folder, or, with
 * BENCH_DATABASE_URL, databases created on that PostgreSQL server. All removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { going } from './processes.js'
import { isPostgresUrl } from './seed.js'
import { POSTGRES } from './settings.js'

if (POSTGRES !== undefined && !isPostgresUrl(POSTGRES)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL')

/** A new, empty database named after `name`: its URL. */
export type NewDatabase = (name: string) => Promise<string>

/** A new SQLite file in a folder of its own, removed when the process exits, whatever the run's engine. */
export async function sqliteDatabase (name: string): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'auth-bench-sqlite-'))
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }))
  return join(folder, `${name}.db`)
}

/** Runs `work` with a maker of databases, and removes every database it made when `work` ends, however it ends. */
export async function withDatabases (work: (database: NewDatabase) => Promise<void>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'auth-bench-'))
  const created: string[] = []
  async function database (name: string): Promise<string> {
    going()
    if (POSTGRES === undefined) return join(folder, `${name}.db`)
    const database = `auth_bench_${process.pid}_${name}`
    await adminQuery(`CREATE DATABASE ${database}`)
    created.push(database)
    const url = new URL(POSTGRES)
    url.pathname = `/${database}`
    return url.href
  }
  try {
    await work(database)
  } finally {
    rmSync(folder, { recursive: true, force: true })
    for (const name of created) {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        .catch((error: unknown) => console.error(`    (could not drop ${name}: ${String(error)})`))
    }
  }
}

async function adminQuery (text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
