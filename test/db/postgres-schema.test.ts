/**
 * The PostgreSQL migrations apply to an empty schema and give the same tables, keys and rules as
 * SQLite's. Runs when CI provides a PostgreSQL (TEST_DATABASE_URL).
 */
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import t from 'tap'
import { projectRoot } from '../../src/db/migrations.js'

const url = process.env.TEST_DATABASE_URL
const skip = url === undefined ? 'TEST_DATABASE_URL is not set: the PostgreSQL suites need a PostgreSQL server (CI sets it to 127.0.0.1:5432, database test)' : false

t.test('the PostgreSQL migrations build the schema', { skip }, async t => {
  // A database of its own (the migrations name the public schema), dropped when the test ends.
  const database = `migrations_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`)
  const target = new URL(url as string)
  target.pathname = `/${database}`
  const pool = new pg.Pool({ connectionString: target.href })
  t.teardown(async () => {
    await pool.end()
    await admin.query(`DROP DATABASE ${database}`)
    await admin.end()
  })
  await migrate(drizzle(pool), { migrationsFolder: join(projectRoot(), 'drizzle', 'postgres') })

  const tables = await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
  t.strictSame(tables.rows.map(row => row.table_name), ['auth_events', 'email_codes', 'mail_outbox', 'mfa_challenges', 'mfa_recovery_codes', 'mfa_totp', 'passkey_challenges', 'passkeys', 'refresh_tokens', 'sessions', 'settings', 'signing_keys', 'users'])

  const user = (id: string, emailKey: string) => pool.query(
    'INSERT INTO users (id, email, email_key, password_hash, created_at, updated_at) VALUES ($1, $2, $2, $3, now(), now())', [id, emailKey, 'hash'])
  await user('a', 'ada@example.com')
  await t.rejects(user('b', 'ada@example.com'), { code: '23505', constraint: 'users_email_key_unique' }, 'an email key is unique')
  const row = await pool.query('SELECT role, metadata FROM users WHERE id = $1', ['a'])
  t.strictSame(row.rows, [{ role: 'user', metadata: {} }], 'the defaults of SQLite')

  await pool.query('INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, max_expires_at) VALUES ($1, $2, now(), now(), now(), now())', ['s', 'a'])
  await pool.query('INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES ($1, $2, now(), now())', ['h', 's'])
  await pool.query('DELETE FROM users WHERE id = $1', ['a'])
  const left = await pool.query('SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM refresh_tokens) AS tokens')
  t.strictSame(left.rows, [{ sessions: '0', tokens: '0' }], 'deleting a user deletes its sessions and their refresh tokens')
})
