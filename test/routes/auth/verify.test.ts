import t from 'tap'
import { build, post, register } from '../../helper.js'
import { query } from '../../helpers/database.js'

t.test('POST /auth/token/verify returns the claims of a live access token', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app)
  const response = await post(app, '/auth/token/verify', { token: accessToken })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.strictSame(Object.keys(body.payload).sort(), ['amr', 'exp', 'iat', 'jti', 'role', 'sid', 'sub'])
  t.match(body, { valid: true, payload: { sub: user.id, role: 'user', sid: String, amr: ['pwd'], jti: String, iat: Number, exp: Number } })
  t.equal(body.payload.exp - body.payload.iat, 900, 'ACCESS_TOKEN_TTL is 15 minutes by default')
})

t.test('ACCESS_TOKEN_TTL sets the lifetime and expiresIn', async t => {
  const app = await build(t, { ACCESS_TOKEN_TTL: '2h' })
  const { accessToken, body } = await register(app)
  t.equal(body.expiresIn, 7200)
  const { payload } = (await post(app, '/auth/token/verify', { token: accessToken })).json()
  t.equal(payload.exp - payload.iat, 7200)
})

t.test('a token verified before is refused once it expires, though its session lives on', async t => {
  const app = await build(t, { ACCESS_TOKEN_TTL: '1m' })
  const { accessToken } = await register(app)
  t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 200)
  t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 200, 'again: it is now known to be valid')
  const now = Date.now
  Date.now = () => now() + 61_000
  t.teardown(() => { Date.now = now })
  const late = await post(app, '/auth/token/verify', { token: accessToken })
  Date.now = now
  t.equal(late.statusCode, 401, 'a minute later')
  t.match(late.json(), { code: 'INVALID_TOKEN' })
})

t.test('a refresh token or garbage is not a valid access token', async t => {
  const app = await build(t)
  const { refreshToken } = await register(app)
  for (const token of [refreshToken, 'garbage', 'a.b.c']) {
    const response = await post(app, '/auth/token/verify', { token })
    t.equal(response.statusCode, 401)
    t.match(response.json(), { statusCode: 401, code: 'INVALID_TOKEN' })
  }
})

t.test('the token field is required and bounded', async t => {
  const app = await build(t)
  for (const [payload, path] of [[{}, '/token'], [{ token: '' }, '/token'], [{ token: 'x'.repeat(4097) }, '/token'], [{ token: 42 }, '/token']] as const) {
    const response = await post(app, '/auth/token/verify', payload)
    t.equal(response.statusCode, 400)
    t.equal(response.json().details[0].path, path)
  }
})

t.test('a token of a revoked session is not valid', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 200)
  await query(app)`UPDATE sessions SET revoked_at = ${new Date()}`
  const response = await post(app, '/auth/token/verify', { token: accessToken })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'INVALID_TOKEN')
})

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Other spellings of the same signature bytes: the last character's unused bits, padding, the `+/` alphabet. */
function otherSpellings (token: string): string[] {
  const dot = token.lastIndexOf('.')
  const head = token.slice(0, dot + 1)
  const signature = token.slice(dot + 1)
  const unusedBits = (6 - (Buffer.from(signature, 'base64url').length * 8) % 6) % 6
  const last = BASE64URL.indexOf(signature.at(-1) as string)
  const spellings = []
  for (let low = 1; low < 2 ** unusedBits; low++) spellings.push(head + signature.slice(0, -1) + BASE64URL[last ^ low])
  spellings.push(head + signature + '=')
  if (/[-_]/.test(signature)) spellings.push(head + signature.replaceAll('-', '+').replaceAll('_', '/'))
  return spellings
}

for (const algorithm of ['HS256', 'EdDSA', 'RS256']) {
  t.test(`only the canonical spelling of a ${algorithm} token is accepted, before or after it was verified`, async t => {
    const app = await build(t, algorithm === 'HS256' ? {} : { JWT_ALGORITHM: algorithm, JWT_SECRET: '' })
    const { accessToken } = await register(app)
    const spellings = otherSpellings(accessToken)
    const bytes = (token: string) => Buffer.from(token.split('.')[2] as string, 'base64url')
    for (const spelling of spellings) t.same(bytes(spelling), bytes(accessToken), 'the same signature bytes')
    t.ok(spellings.length >= (algorithm === 'HS256' ? 4 : 16), `${spellings.length} other spellings`)
    for (const [when, first] of [['before', false], ['after', true]] as const) {
      if (first) t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 200, 'the canonical token is valid')
      for (const spelling of spellings) {
        t.match((await post(app, '/auth/token/verify', { token: spelling })).json(), { code: 'INVALID_TOKEN' }, `verify, ${when}`)
        const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${spelling}` } })
        t.equal(me.statusCode, 401, `GET /auth/me, ${when}`)
      }
    }
  })
}
