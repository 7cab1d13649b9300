import t from 'tap'
import { bearer, build, listen, newUser, PASSWORD, register } from '../../helper.js'

// One hashing thread at a high cost and room for two waiting jobs: a burst of ten saturates it.
const SATURABLE = { HASH_WORKERS: '1', HASH_QUEUE_MAX: '2', BCRYPT_COST: '12' }
const WRONG = 'definitely not the password'

async function send (url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Record<string, unknown> }
}

t.test('past HASH_QUEUE_MAX waiting jobs, logins are shed at once with 503 OVERLOADED and are not counted', async t => {
  const app = await build(t, { ...SATURABLE, LOGIN_MAX_FAILURES: '5' })
  const { user, accessToken } = await register(app)
  const base = await listen(app)

  const finished: string[] = []
  const logins = Array.from({ length: 10 }, (_, i) => send(`${base}/auth/login`, { email: user.email, password: WRONG })
    .then(result => { finished.push(`login ${i}`); return result }))
  // Asked while the thread is busy: these need no hashing and answer before the admitted logins end.
  const health = send(`${base}/health`).then(result => { finished.push('health'); return result })
  const me = send(`${base}/auth/me`, undefined, bearer(accessToken)).then(result => { finished.push('me'); return result })
  const results = await Promise.all(logins)

  const shed = results.filter(result => result.status === 503)
  const refused = results.filter(result => result.status === 401)
  t.equal(refused.length, 3, 'one running and two waiting were admitted, and checked')
  t.equal(shed.length, 7, 'the rest were turned away')
  for (const result of shed) {
    t.equal(result.retryAfter, '1')
    t.strictSame(result.body, { statusCode: 503, code: 'OVERLOADED', error: 'Service Unavailable', message: 'The service is busy; retry in 1 seconds' })
  }
  t.equal((await health).status, 200)
  t.equal((await me).status, 200)
  const lastLogin = Math.max(...finished.flatMap((name, index) => name.startsWith('login') ? [index] : []))
  t.ok(finished.indexOf('health') < lastLogin && finished.indexOf('me') < lastLogin, `health and me answered while hashing went on (${finished.join(', ')})`)

  // Only the three checked attempts counted towards LOGIN_MAX_FAILURES (5): the owner still gets in.
  const owner = await send(`${base}/auth/login`, { email: user.email, password: PASSWORD })
  t.equal(owner.status, 200)
})

t.test('signups are shed alike, and a shed signup takes no slot of SIGNUP_CAPACITY', async t => {
  const app = await build(t, { ...SATURABLE, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '1000/1m', SIGNUP_CAPACITY: '4/1m' })
  const base = await listen(app)
  const results = await Promise.all(Array.from({ length: 8 }, () => send(`${base}/auth/register`, newUser())))
  t.strictSame(results.map(result => result.status).sort(), [201, 201, 201, 503, 503, 503, 503, 503])
  t.equal(results.find(result => result.status === 503)?.body.code, 'OVERLOADED')

  const fourth = await send(`${base}/auth/register`, newUser())
  t.equal(fourth.status, 201, 'three slots were taken, so the fourth signup still fits')
  const fifth = await send(`${base}/auth/register`, newUser())
  t.equal(fifth.body.code, 'SIGNUP_CAPACITY_REACHED')
})

t.test('the OpenAPI document lists 503 on the routes that hash', async t => {
  const app = await build(t)
  const spec = (await app.inject({ url: '/docs/json' })).json()
  for (const [path, method] of [['/auth/register', 'post'], ['/auth/login', 'post'], ['/auth/password', 'patch']] as const) {
    t.match(spec.paths[path][method].responses['503'].description, /OVERLOADED/, `${method} ${path}`)
  }
  t.notOk(spec.paths['/auth/me'].get.responses['503'], 'routes that do not hash cannot be shed')
})

t.test('the password is the same whichever thread hashed it', async t => {
  const app = await build(t, { HASH_WORKERS: '2' })
  const { user } = await register(app)
  const logins = await Promise.all(Array.from({ length: 4 }, () => app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } })))
  t.strictSame(logins.map(response => response.statusCode), [200, 200, 200, 200])
})
