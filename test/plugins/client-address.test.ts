import t from 'tap'
import { bearer, build, newUser, post } from '../helper.js'

const JUNK = 'not-an-ip <script>'

t.test('behind a trusted proxy, a forwarded value that is not an address is refused and never stored', async t => {
  const app = await build(t, { TRUST_PROXY: '127.0.0.1' })
  const refused = await post(app, '/auth/register', newUser(), { 'x-forwarded-for': JUNK })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { code: 'INVALID_FORWARDED_FOR', message: /X-Forwarded-For/ })
  t.ok(refused.headers['x-request-id'], 'the answer carries a request id')
  t.equal((await app.inject({ url: '/health', headers: { 'x-forwarded-for': JUNK } })).statusCode, 400)

  const registered = await post(app, '/auth/register', newUser(), { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' })
  t.equal(registered.statusCode, 201)
  const sessions = await app.inject({ url: '/auth/sessions', headers: bearer(registered.json().accessToken) })
  t.match(sessions.json().sessions, [{ ip: '203.0.113.7' }], 'the address the trusted proxy forwarded')
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored, whatever it holds', async t => {
  const app = await build(t)
  const registered = await post(app, '/auth/register', newUser(), { 'x-forwarded-for': JUNK })
  t.equal(registered.statusCode, 201)
  const sessions = await app.inject({ url: '/auth/sessions', headers: bearer(registered.json().accessToken) })
  t.match(sessions.json().sessions, [{ ip: '127.0.0.1' }])
})
