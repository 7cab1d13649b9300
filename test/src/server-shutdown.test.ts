import { type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, type IncomingHttpHeaders, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { PASSWORD } from '../helper.js'
import { listening, startServer } from '../helpers/processes.js'

interface Answer { status: number, headers: IncomingHttpHeaders, body: string, at: number }

/** One request through `agent` (a keep-alive pool, or none: a new connection that closes after). */
function send (url: string, path: string, agent: Agent | false, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(`${url}${path}`, {
      method: payload === undefined ? 'GET' : 'POST',
      agent,
      headers: payload === undefined ? {} : { 'content-type': 'application/json' }
    }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', chunk => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, at: Date.now() }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** Resolves when the server logs that it is closing: the signal has been handled. */
function closing (child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    let output = ''
    child.stdout?.on('data', function look (chunk) {
      output += String(chunk)
      if (/"msg":"closing"/.test(output)) {
        child.stdout?.off('data', look)
        resolve()
      }
    })
  })
}

/** A server process on a new SQLite file; killed when the test ends if it is still running. */
async function server (t: Test, env: Record<string, string> = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'auth-shutdown-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  const child = startServer({
    PORT: '0', DATABASE_URL: join(folder, 'auth.db'), MAIL_DIR: join(folder, 'mail'), ...env
  }, 'source')
  t.teardown(() => { child.kill('SIGKILL') })
  const url = await listening(child)
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, at: Date.now() }))
  return { child, url, exited }
}

t.test('SIGTERM lets in-flight logins answer, refuses new requests, and exits within 2 s of the last answer', async t => {
  // One hashing thread at cost 12: each login holds it a few hundred milliseconds, so they queue.
  const { child, url, exited } = await server(t, { BCRYPT_COST: '12', HASH_WORKERS: '1' })
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  t.teardown(() => agent.destroy())
  const account = { email: 'drain@example.com', password: PASSWORD }
  t.equal((await send(url, '/auth/register', agent, account)).status, 201)

  const pending = new Set<number>()
  const logins = Array.from({ length: 4 }, (_, i) => {
    pending.add(i)
    return send(url, '/auth/login', agent, account).finally(() => pending.delete(i))
  })
  // The first answer comes after one hash: the others are in the server by then, waiting for the thread.
  await Promise.race(logins)
  const closed = closing(child)
  child.kill('SIGTERM')
  await closed
  const inFlight = [...pending]
  t.ok(inFlight.length >= 2, `${inFlight.length} logins still in flight when the server began closing`)

  // A new connection is refused; or reset, unread, if the kernel had accepted it just before the listening
  // socket closed; or answered 503 if it got in before that.
  const late = await send(url, '/health/live', false).catch((error: NodeJS.ErrnoException) => error.code)
  if (typeof late === 'string') t.ok(['ECONNREFUSED', 'ECONNRESET'].includes(late), `a new connection: ${late}`)
  else t.match(late, { status: 503, headers: { connection: 'close' } })

  const answers = await Promise.all(logins)
  for (const answer of answers) t.equal(answer.status, 200, 'every login in flight is answered')
  for (const i of inFlight) t.equal(answers[i]?.headers.connection, 'close', 'an answer sent while closing closes its connection')
  const last = Math.max(...answers.map(answer => answer.at))
  const exit = await exited
  t.equal(exit.code, 0, 'a clean exit, not close-with-grace\'s timeout')
  t.ok(exit.at - last < 2000, `exited ${exit.at - last} ms after the last answer`)
})

t.test('SIGTERM with only idle kept-alive connections exits at once', async t => {
  const { child, url, exited } = await server(t, { BCRYPT_COST: '10' })
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  // Four connections, left open and idle in the agent's pool.
  const answers = await Promise.all(Array.from({ length: 4 }, () => send(url, '/health/live', agent)))
  t.same(answers.map(answer => answer.status), [200, 200, 200, 200])
  t.equal(Object.values(agent.freeSockets).flat().length, 4, 'four idle kept-alive connections')

  const signalled = Date.now()
  child.kill('SIGTERM')
  const exit = await exited
  t.equal(exit.code, 0)
  t.ok(exit.at - signalled < 1000, `exited ${exit.at - signalled} ms after SIGTERM`)
})
