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
  t.ok(lines.length > 8, 'requests were logged')
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
