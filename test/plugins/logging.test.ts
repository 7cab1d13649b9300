import t from 'tap'
import { bearer, build, PASSWORD, post, register } from '../helper.js'

t.test('logs carry request ids and never a password, token or Authorization header', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const { user, accessToken, refreshToken } = await register(app)
  const login = await post(app, '/auth/login', { email: user.email, password: PASSWORD })
  const me = await app.inject({ url: '/auth/me', headers: bearer(accessToken) })
  await post(app, '/auth/token/verify', { token: login.json().accessToken })
  await post(app, '/auth/login', { email: user.email, password: 'a wrong password' })
  await app.inject({ url: `/auth/me?access_token=${accessToken}`, headers: bearer(accessToken) })

  const log = lines.join('')
  t.ok(lines.length >= 6, 'each of the six requests was logged')
  for (const secret of [PASSWORD, 'a wrong password', accessToken, refreshToken, login.json().accessToken, login.json().refreshToken]) {
    t.notOk(log.includes(secret), 'a secret is absent from the log')
  }
  t.notMatch(log, /authorization/i)

  const requestId = me.headers['x-request-id']
  t.match(requestId, /^[0-9a-f-]{36}$/, 'each response names its request id')
  t.ok(lines.some(line => JSON.parse(line).reqId === requestId), 'the log is searchable by that id')
})

t.test('a client cannot choose its request id', async t => {
  const app = await build(t)
  const response = await app.inject({ url: '/health', headers: { 'x-request-id': 'forged\nline' } })
  t.not(response.headers['x-request-id'], 'forged\nline')
  t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})

t.test('one line per request, when it ends, with the request, the status and the duration', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const response = await app.inject({ url: '/docs/json?probe=1' })
  const entries = lines.map(line => JSON.parse(line)).filter(entry => entry.reqId === response.headers['x-request-id'])
  t.equal(entries.length, 1)
  t.match(entries[0], { level: 30, msg: 'request completed', req: { method: 'GET', url: '/docs/json' }, res: { statusCode: 200 }, responseTime: Number })
  t.notOk(JSON.stringify(entries[0]).includes('probe'), 'no query string')
})

t.test('a routine check that succeeds is logged at debug; one that fails, and every other request, at info', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'debug', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const { accessToken } = await register(app)
  const levels: Record<string, number> = {}
  for (const [name, request] of [
    ['token check', { url: '/auth/me', headers: bearer(accessToken) }],
    ['token verification', { method: 'POST' as const, url: '/auth/token/verify', payload: { token: accessToken } }],
    ['health', { url: '/health' }],
    ['refused token check', { url: '/auth/me', headers: bearer('not.a.token') }],
    ['refused token verification', { method: 'POST' as const, url: '/auth/token/verify', payload: { token: 'not.a.token' } }],
    ['a login', { method: 'POST' as const, url: '/auth/login', payload: { email: 'nobody@example.com', password: PASSWORD } }]
  ] as const) {
    const response = await app.inject(request)
    const entry = lines.map(line => JSON.parse(line)).find(entry => entry.reqId === response.headers['x-request-id'] && entry.msg === 'request completed')
    levels[name] = entry?.level
  }
  t.strictSame(levels, {
    'token check': 20,
    'token verification': 20,
    health: 20,
    'refused token check': 30,
    'refused token verification': 30,
    'a login': 30
  })
})

t.test('a secret field in any logged object is redacted, however deep it sits', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const body = { email: 'ada@example.com', password: 'hunter2 hunter2', profile: { refreshToken: 'r-secret', inner: { token: 't-secret' } } }
  const headers = Object.assign(Object.create(null), { authorization: 'Bearer a-secret', 'user-agent': 'curl' })
  app.log.info({ body, headers, accessToken: 'top-secret' }, 'a careless log call')
  const entry = JSON.parse(lines.find(line => line.includes('a careless log call')) as string)
  t.strictSame(entry.body, { email: 'ada@example.com', password: '[redacted]', profile: { refreshToken: '[redacted]', inner: { token: '[redacted]' } } })
  t.strictSame(entry.headers, { authorization: '[redacted]', 'user-agent': 'curl' })
  t.equal(entry.accessToken, '[redacted]')
  t.equal(body.password, 'hunter2 hunter2', 'the caller\'s object is left as it was')
})
