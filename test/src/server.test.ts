import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import t from 'tap'

const root = join(import.meta.dirname, '..', '..')

// What `npm start` runs: the build, with every file it needs at run time (the hashing worker too).
t.before(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
})

/** Starts the built server as its own process, as `npm start` does. */
function start (env: Record<string, string>): ChildProcess {
  const { JWT_SECRET: _secret, DATABASE_URL: _url, ...inherited } = process.env
  return spawn(process.execPath, ['dist/src/server.js'], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Resolves with the listening URL from the start-up log line; gives up after 20 s. */
function listening (child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000)
    let output = ''
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

t.test('the server starts on a fresh folder, serves requests, and exits cleanly on SIGTERM', async t => {
  const folder = mkdtempSync(join(tmpdir(), 'auth-server-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  const child = start({ PORT: '0', DATABASE_URL: join(folder, 'data', 'auth.db') })
  t.teardown(() => { child.kill('SIGKILL') })
  const url = await listening(child)

  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  t.strictSame(await health.json(), { status: 'ok' })
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
  const child = start({ PORT: '0', DATABASE_URL: ':memory:', BCRYPT_COST: '4', JWT_SECRET: 'short' })
  t.teardown(() => { child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(stderr, /BCRYPT_COST must be a whole number from 10 to 15/)
  t.match(stderr, /JWT_SECRET must be at least 32 bytes/)
  t.notMatch(stderr, /^\s+at /m, 'no stack trace')
})
