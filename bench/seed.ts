/**
 * Seeding, through the service's own app built as the CLI builds it (src/cli.ts), not a second
 * path to the database. The benchmark's only module that imports the service's code.
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { normalizeEmail } from '../src/accounts/identity.js'
import { loadConfig } from '../src/config.js'
import { isPostgresUrl } from '../src/db/url.js'
import { going } from './processes.js'
import { COST } from './settings.js'

export { isPostgresUrl }

type App = Awaited<ReturnType<typeof buildApp>>

/** The app on `databaseUrl`, configured as the service under test is, without listening or logging. */
async function withApp<T> (databaseUrl: string, work: (app: App) => Promise<T>): Promise<T> {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    BCRYPT_COST: String(COST),
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'silent'
  }
  const app = await buildApp(loadConfig(env))
  try {
    await app.ready()
    return await work(app)
  } finally {
    await app.close()
  }
}

/** Adds users 0…`count - 1`, `user{i}@example.com`, all with one precomputed hash, in one transaction. */
export async function seedUsers (databaseUrl: string, count: number, passwordHash: string): Promise<void> {
  await withApp(databaseUrl, async app => {
    const { users } = app.store.tables
    const now = new Date()
    await app.store.transaction(async tx => {
      // In batches of 500 rows, one statement each: row by row, with app.users.insert, 100,000
      // users took four times as long.
      for (let start = 0; start < count; start += 500) {
        going()
        const batch = []
        for (let i = start; i < Math.min(start + 500, count); i++) {
          const { email, key } = normalizeEmail(`user${i}@example.com`)
          const name = `User ${i}`
          batch.push({ id: randomUUID(), email, emailKey: key, name, passwordHash, createdAt: now, updatedAt: now })
        }
        await tx.insert(users).values(batch)
      }
    })
  })
  await settle(databaseUrl)
}

/** Starts `count` sessions for the first thousand users, in one transaction: returns their refresh tokens. */
export async function seedSessions (databaseUrl: string, count: number): Promise<string[]> {
  const tokens = await withApp(databaseUrl, async app => {
    const { users } = app.store.tables
    const ids = (await app.store.db.select({ id: users.id }).from(users).limit(1000)).map(row => row.id)
    return await app.store.transaction(async tx => {
      const started: string[] = []
      for (let i = 0; i < count; i++) {
        if (i % 1000 === 0) going()
        started.push((await app.sessions.start(ids[i % ids.length] as string, { ip: '127.0.0.1' }, tx)).refreshToken)
      }
      return started
    })
  })
  await settle(databaseUrl)
  return tokens
}

/**
 * After a bulk seed, with the app closed. SQLite: the seed's write-ahead log is copied into the
 * database file and flushed to disk, so that neither the checkpoint nor the kernel's write-back of
 * tens of megabytes runs during the next loads. PostgreSQL: the planner's statistics are
 * refreshed, as autovacuum does within a minute or so in production; without it the first
 * minutes after the seed measure stale plans.
 */
async function settle (databaseUrl: string): Promise<void> {
  // By the URL, not the run's engine: a PostgreSQL run also seeds a SQLite service to compare with.
  if (!isPostgresUrl(databaseUrl)) {
    const sqlite = new Sqlite(databaseUrl)
    try {
      sqlite.pragma('busy_timeout = 5000')
      const [checkpoint] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>
      if (checkpoint?.busy !== 0) console.error('    (the seed could not be checkpointed: a reader held the database)')
    } finally {
      sqlite.close()
    }
    execFileSync('sync')
    return
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('ANALYZE')
  } finally {
    await client.end()
  }
}
