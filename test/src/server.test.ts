import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import t from 'tap'
import { listening, startServer } from '../helpers/processes.js'

const root = join(import.meta.dirname, '..', '..')

// What `npm start` runs: the build, with every file it needs at run time (the hashing worker too).
t.before(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
})

t.test('the server starts on a fresh folder, serves requests, and exits cleanly on SIGTERM', async t => {
  const folder = mkdtempSync(join(tmpdir(), 'auth-server-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  const child = startServer({ PORT: '0', DATABASE_URL: join(folder, 'data', 'auth.db'), MAIL_DIR: join(folder, 'mail') })
  t.teardown(() => { child.kill('SIGKILL') })
  const url = await listening(child)

  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  t.strictSame(await health.json(), { status: 'ok', mail: { pending: 0, oldestPendingSeconds: null } })
  const docs = await fetch(`${url}/docs/json`)
  t.equal(docs.status, 200)
  // Signup and login hash in the worker threads, which run the built worker file.
  const account = { email: 'first@example.com', password: 'correct horse battery staple' }
  const signup = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) })
  t.equal(signup.status, 201)
  const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) })
  t.equal(login.status, 200)

  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0)
})

t.test('a bad variable stops the start with a message naming it', async t => {
  const child = startServer({ PORT: '0', DATABASE_URL: ':memory:', BCRYPT_COST: '4', JWT_SECRET: 'short' })
  t.teardown(() => { child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(stderr, /BCRYPT_COST must be a whole number from 10 to 15/)
  t.match(stderr, /JWT_SECRET must be at least 32 bytes/)
  t.notMatch(stderr, /^\s+at /m, 'no stack trace')
})
