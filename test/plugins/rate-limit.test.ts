import t from 'tap'
import { build, listen, newUser, PASSWORD } from '../helper.js'

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
