/** Builds the app for tests (in-memory database, fixed secret, the lowest bcrypt cost), and talks to it over HTTP. */
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyServerOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { ON_POSTGRES, postgresDatabase } from './helpers/database.js'
import type { App, Teardown } from './helpers/types.js'

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
  RATE_LIMIT_ENABLED: 'false',
  // Without SMTP_URL, messages are .eml files: out of the project's folder.
  MAIL_DIR: join(tmpdir(), 'auth-test-mail')
}

/** A ready app; `setup` may add routes before it is ready. Closed when the test ends. */
export async function build (t: Teardown, env: Record<string, string> = {}, options: {
  overrides?: Partial<FastifyServerOptions>
  setup?: (app: App) => void
} = {}): Promise<App> {
  const database = ON_POSTGRES && env.DATABASE_URL === undefined ? await postgresDatabase(t) : {}
  const app = await buildApp(loadConfig({ ...TEST_ENV, ...database, ...env }), { logger: false, ...options.overrides })
  options.setup?.(app)
  await app.ready()
  t.teardown(() => app.close())
  return app
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
