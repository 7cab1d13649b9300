import t from 'tap'
import type { MemorySignupCapacity } from '../../src/limits/signup-capacity.js'
import { build, listen, newUser, PASSWORD } from '../helper.js'
import { query } from '../helpers/database.js'

function postJson (url: string, body: unknown) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

t.test('login is limited per client, and the alias shares the budget', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN: '3/1m' })
  const url = await listen(app)
  const attempt = { email: 'nobody@example.com', password: PASSWORD }
  const statuses = []
  for (const path of ['/auth/login', '/auth/signin', '/auth/login']) {
    statuses.push((await postJson(url + path, attempt)).status)
  }
  t.strictSame(statuses, [401, 401, 401])
  const limited = await postJson(url + '/auth/signin', attempt)
  t.equal(limited.status, 429)
  t.match(await limited.json(), { statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests', message: /retry in/ })
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After is set')
  t.equal(limited.headers.get('x-ratelimit-limit'), '3')
  t.equal(limited.headers.get('x-ratelimit-remaining'), '0')
})

t.test('signup is limited per client, and X-Forwarded-For does not change who the client is', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '2/1m' })
  const url = await listen(app)
  const statuses = []
  for (let i = 0; i < 4; i++) {
    const response = await fetch(url + (i % 2 === 0 ? '/auth/register' : '/auth/signup'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
      body: JSON.stringify(newUser())
    })
    statuses.push(response.status)
  }
  t.strictSame(statuses, [201, 201, 429, 429])
})

t.test('every route shares the global per-client limit, but health probes are exempt', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_GLOBAL: '2/1m' })
  const url = await listen(app)
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await fetch(url + '/auth/me')).status)
  t.strictSame(statuses, [401, 401, 429])
  for (let i = 0; i < 3; i++) t.equal((await fetch(url + '/health')).status, 200)
})

t.test('requests for unknown routes count against the global limit too', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_GLOBAL: '2/1m' })
  const url = await listen(app)
  const statuses = []
  for (const path of ['/nope', '/admin', '/auth/me']) statuses.push((await fetch(url + path)).status)
  t.strictSame(statuses, [404, 404, 429])
})

t.test('refresh and password change have limits of their own, shared by the refresh alias', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_REFRESH: '2/1m', RATE_LIMIT_PASSWORD: '1/1m' })
  const url = await listen(app)
  const statuses = []
  for (const path of ['/auth/refresh', '/auth/token/refresh', '/auth/refresh']) {
    statuses.push((await postJson(url + path, { refreshToken: 'x'.repeat(43) })).status)
  }
  t.strictSame(statuses, [401, 401, 429])
  const change = () => fetch(url + '/auth/password', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: 'a', newPassword: 'a long enough new password' }) })
  t.strictSame([(await change()).status, (await change()).status], [401, 429])
})

/** Registers through the socket as if from `address`, behind a proxy that sets X-Forwarded-For. */
function registerFrom (url: string, address: string) {
  return fetch(url + '/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify(newUser())
  })
}

t.test('with TRUST_PROXY listing the proxy, X-Forwarded-For names the client', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '1/1m', TRUST_PROXY: '127.0.0.1, ::1' })
  const url = await listen(app)
  const statuses = []
  for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.1']) statuses.push((await registerFrom(url, address)).status)
  t.strictSame(statuses, [201, 201, 429], 'one bucket per forwarded client')
  const [first] = await query(app)`SELECT ip FROM sessions ORDER BY created_at LIMIT 1`
  t.equal(first?.ip, '198.51.100.1', 'sessions record the forwarded address')
})

t.test('X-Forwarded-For from a proxy not listed in TRUST_PROXY is ignored', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '1/1m', TRUST_PROXY: '10.9.9.9' })
  const url = await listen(app)
  const statuses = []
  for (const address of ['198.51.100.1', '198.51.100.2']) statuses.push((await registerFrom(url, address)).status)
  t.strictSame(statuses, [201, 429])
})

t.test('SIGNUP_CAPACITY caps new accounts for everyone, from however many addresses', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '100/1m', SIGNUP_CAPACITY: '3/1m', TRUST_PROXY: '127.0.0.1' })
  let now = Date.now()
  if (app.signupCapacity === undefined) throw new Error('capacity is on when rate limiting is')
  const capacity = app.signupCapacity as MemorySignupCapacity
  capacity.now = () => now
  const url = await listen(app)
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await registerFrom(url, `198.51.100.${i}`)).status)
  t.strictSame(statuses, [201, 201, 201, 429, 429])
  const full = await registerFrom(url, '198.51.100.99')
  t.equal(full.status, 429)
  t.match(await full.json(), { statusCode: 429, code: 'SIGNUP_CAPACITY_REACHED', error: 'Too Many Requests' })
  t.ok(Number(full.headers.get('retry-after')) > 0 && Number(full.headers.get('retry-after')) <= 60, 'Retry-After is the rest of the window')
  now += 60_000
  t.equal((await registerFrom(url, '198.51.100.100')).status, 201, 'the next window takes signups again')
  const [count] = await query(app)`SELECT count(*) AS n FROM users`
  t.equal(Number(count?.n), 4)
})

t.test('signups that lose a race for their email give their capacity back', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '100/1m', SIGNUP_CAPACITY: '5/1m' })
  const url = await listen(app)
  const same = JSON.stringify(newUser({ email: 'contested@example.com' }))
  const racing = await Promise.all(Array.from({ length: 5 }, () => fetch(url + '/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: same })))
  t.strictSame(racing.map(response => response.status).sort(), [201, 409, 409, 409, 409])
  const honest = await postJson(url + '/auth/register', newUser())
  t.equal(honest.status, 201, 'four slots were given back')
})

t.test('username changes count against the signup limit; other profile changes against the global one', async t => {
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '3/1m', RATE_LIMIT_GLOBAL: '300/1m' })
  const url = await listen(app)
  const registered = await postJson(url + '/auth/register', newUser())
  const { accessToken } = await registered.json() as { accessToken: string }
  const patch = (body: unknown) => fetch(url + '/auth/me', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(body)
  })
  const names = []
  for (let i = 0; i < 4; i++) names.push((await patch({ name: `Name ${i}` })).status)
  t.strictSame(names, [200, 200, 200, 200], 'a name change is not a username probe')
  const usernames = []
  for (let i = 0; i < 3; i++) usernames.push((await patch({ username: `probe_${i}` })).status)
  t.strictSame(usernames, [200, 200, 429], 'the signup budget, which registering took one of')
  const limited = await patch({ username: 'probe_x' })
  t.match(await limited.json(), { code: 'RATE_LIMITED' })
  t.equal((await postJson(url + '/auth/register', newUser())).status, 429, 'one budget with signup')
})
