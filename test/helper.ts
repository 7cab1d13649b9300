/** Builds the app for tests: in-memory database, fixed secret, the lowest allowed bcrypt cost. */
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn, type SpawnOptions } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyServerOptions, LightMyRequestResponse } from 'fastify'
import { type SQL, sql } from 'drizzle-orm'
import { Redis } from 'ioredis'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!'
export const PASSWORD = 'correct horse battery staple'

export const TEST_ENV: Record<string, string> = {
  DATABASE_URL: ':memory:',
  JWT_SECRET: TEST_SECRET,
  BCRYPT_COST: '10',
  // One hashing thread per app, and a queue no test overflows unless it means to.
  HASH_WORKERS: '1',
  HASH_QUEUE_MAX: '1000',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_ENABLED: 'false'
}

export interface Teardown { teardown: (fn: () => unknown) => void }

export type App = Awaited<ReturnType<typeof buildApp>>

/** The test PostgreSQL, set by CI (`.ci/run`); the PostgreSQL suites are skipped without it. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL
export const POSTGRES_SKIP = TEST_DATABASE_URL === undefined
  ? 'TEST_DATABASE_URL is not set: the PostgreSQL suites need a PostgreSQL server (CI sets it to 127.0.0.1:5432, database test)'
  : false

/**
 * Set by the suites of test/postgres, which run behaviour suites again with PostgreSQL: each app
 * built without a DATABASE_URL of its own then gets a new, empty PostgreSQL database.
 */
const ENGINE_VARIABLE = 'AUTH_TEST_ENGINE'

/** Runs a behaviour suite (imported by `load`) with every app on a PostgreSQL database of its own. */
export async function onPostgres (load: () => Promise<unknown>): Promise<void> {
  if (POSTGRES_SKIP !== false) {
    const { default: tap } = await import('tap')
    tap.test('on PostgreSQL', { skip: POSTGRES_SKIP }, async () => {})
    return
  }
  process.env[ENGINE_VARIABLE] = 'postgres'
  await load()
}

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

/** A ready app; `setup` may add routes before it is ready. Closed when the test ends. */
export async function build (t: Teardown, env: Record<string, string> = {}, options: {
  overrides?: Partial<FastifyServerOptions>
  setup?: (app: App) => void
} = {}): Promise<App> {
  const database = process.env[ENGINE_VARIABLE] === 'postgres' && env.DATABASE_URL === undefined ? await postgresDatabase(t) : {}
  const app = await buildApp(loadConfig({ ...TEST_ENV, ...database, ...env }), { logger: false, ...options.overrides })
  options.setup?.(app)
  await app.ready()
  t.teardown(() => app.close())
  return app
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

/**
 * `performance.now`, the monotonic clock, under the test's control until the test ends: it
 * stands still but when advanced. The SQLite store looks for other processes' commits by it.
 */
export function fakeMonotonicClock (t: Teardown): { advance: (ms: number) => void } {
  const real = performance.now
  let now = real.call(performance)
  performance.now = () => now
  t.teardown(() => { performance.now = real })
  return { advance: ms => { now += ms } }
}

/** Listens on a random loopback port and returns its base URL. */
export async function listen (app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

let counter = 0
/** A fresh, valid registration body. */
export function newUser (fields: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1
  return { email: `user${counter}.${process.pid}@example.com`, password: PASSWORD, ...fields }
}

export function post (app: App, url: string, payload: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, payload: payload as object, headers })
}

export interface Session {
  user: { id: string, email: string, username: string | null, role: string }
  accessToken: string
  refreshToken: string
}

/** Registers a user and returns the 201 body. */
export async function register (app: App, fields: Record<string, unknown> = {}): Promise<Session & { body: Record<string, unknown> }> {
  const response = await post(app, '/auth/register', newUser(fields))
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`)
  const body = response.json()
  return { ...body, body }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** Logs a registered user in again: a second session. */
export async function login (app: App, email: string): Promise<Session> {
  const response = await post(app, '/auth/login', { email, password: PASSWORD })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** The status of GET /auth/me with this access token: 200 while its session is live. */
export async function meStatus (app: App, accessToken: string): Promise<number> {
  return (await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode
}

const root = join(import.meta.dirname, '..')

/**
 * Starts `node` with `args` as a process of its own, without tap's loader hooks. Under them,
 * Node 20 has crashed while a child loaded an ES module from CommonJS (`loadESMFromCJS`), before
 * any of the service's code ran. Tap's process tracker puts its hook back into `NODE_OPTIONS` on
 * every spawn, whatever environment is given, so `env -u` takes it out as the child starts;
 * `env` then becomes node (same pid). The child loads TypeScript through tsx itself.
 */
export function spawnNode (args: string[], options: SpawnOptions): ChildProcess {
  return spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], options)
}

/** Runs the CLI as its own process, as `npm run cli --` does, with `input` on standard input. */
export function cli (args: string[], env: Record<string, string>, input = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, JWT_SECRET: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    }) as ChildProcessWithoutNullStreams // piped above
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => { stdout += String(chunk) })
    child.stderr.on('data', chunk => { stderr += String(chunk) })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
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
  return process.env[ENGINE_VARIABLE] === 'postgres' ? await postgresDatabase(t) : fileDatabase(t)
}

/** The test Redis, set by CI (`.ci/run`); the Redis suites are skipped without it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL

let redisApps = 0
/**
 * Environment for an app whose limits live in the test Redis, under a key prefix of its own
 * (apps of one test may share it), deleted when the test ends.
 */
export function redisEnv (t: Teardown, prefix = `test:${process.pid}:${++redisApps}:`): Record<string, string> {
  if (TEST_REDIS_URL === undefined) throw new Error('TEST_REDIS_URL is not set')
  t.teardown(async () => {
    const client = new Redis(TEST_REDIS_URL)
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(...keys)
    await client.quit()
  })
  return { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }
}

/** Where the limits' counts live, for suites that run against each: in memory, and in Redis when CI provides one. */
export const STORES: Array<{ name: string, skip: string | false, env: (t: Teardown) => Record<string, string> }> = [
  { name: 'memory', skip: false, env: () => ({}) },
  { name: 'Redis', skip: TEST_REDIS_URL === undefined ? 'TEST_REDIS_URL is not set: the Redis suites need a Redis server (CI sets it to 127.0.0.1:6379)' : false, env: t => redisEnv(t) }
]

/**
 * Starts the server as its own process: the build, as `npm start` runs it, or the sources (for
 * suites that must not race another suite's build). JWT_SECRET and DATABASE_URL come only from `env`.
 */
export function startServer (env: Record<string, string>, entry: 'build' | 'source' = 'build'): ChildProcess {
  const { JWT_SECRET: _secret, DATABASE_URL: _url, ...inherited } = process.env
  const args = entry === 'build' ? ['dist/src/server.js'] : ['--import', 'tsx', 'src/server.ts']
  return spawnNode(args, {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Resolves with the listening URL from the start-up log line; gives up after 30 s. */
export function listening (child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000)
    let output = ''
    child.stderr?.on('data', chunk => { output += String(chunk) })
    child.stdout?.on('data', chunk => {
      output += String(chunk)
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`exited with ${code}: ${output}`)) })
  })
}
