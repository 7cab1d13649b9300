import t from 'tap'
import { build, listen, PASSWORD, register } from '../../helper.js'

/** A POST over the socket, with the headers a browser page would send. */
async function send (url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: response.status, cookies: response.headers.getSetCookie(), body: await response.json() as Record<string, unknown> }
}

/** The refresh token a Set-Cookie list sets, checking that both paths get the same one. */
function cookieToken (cookies: string[]): string {
  const values = cookies.map(cookie => /^refresh_token=([^;]*)/.exec(cookie)?.[1])
  if (values.length !== 2 || values[0] !== values[1] || values[0] === undefined) throw new Error(`unexpected cookies: ${cookies.join(' | ')}`)
  return values[0]
}

t.test('cookie mode: the refresh token is an HttpOnly, SameSite=Strict cookie on the refresh and logout paths only', async t => {
  const app = await build(t)
  const base = await listen(app)
  const { user } = await register(app)

  const login = await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: true })
  t.equal(login.status, 200)
  t.notOk('refreshToken' in login.body, 'no refresh token in the body, where scripts could read it')
  t.type(login.body.accessToken, 'string')
  t.equal(login.cookies.length, 2)
  for (const [index, path] of ['/auth/refresh', '/auth/logout'].entries()) {
    t.match(login.cookies[index], new RegExp(`^refresh_token=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=${path}; HttpOnly; Secure; SameSite=Strict$`))
  }

  const register2 = await send(`${base}/auth/register`, { email: 'cookie.mode@example.com', password: PASSWORD, cookie: true })
  t.equal(register2.status, 201)
  t.notOk('refreshToken' in register2.body)
  t.type(cookieToken(register2.cookies), 'string')
})

t.test('behind a trusted TLS proxy, an http:// page is another origin', async t => {
  const app = await build(t, { TRUST_PROXY: '127.0.0.1' })
  const base = await listen(app)
  const { user } = await register(app)
  const token = cookieToken((await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: true })).cookies)
  const proxied = { cookie: `refresh_token=${token}`, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'auth.example.com' }
  const plain = await send(`${base}/auth/refresh`, {}, { ...proxied, origin: 'http://auth.example.com' })
  t.equal(plain.body.code, 'CROSS_SITE_REQUEST')
  const other = await send(`${base}/auth/refresh`, {}, { ...proxied, origin: 'https://evil.example' })
  t.equal(other.body.code, 'CROSS_SITE_REQUEST')
  const same = await send(`${base}/auth/refresh`, {}, { ...proxied, origin: 'https://auth.example.com' })
  t.equal(same.status, 200, 'the page of the proxied origin refreshes')
})

t.test('refresh from the cookie rotates it, and a reused cookie ends the session and is cleared', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const base = await listen(app)
  const { user } = await register(app)
  const origin = { origin: base }
  const first = cookieToken((await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: true })).cookies)

  const refreshed = await send(`${base}/auth/refresh`, {}, { ...origin, cookie: `refresh_token=${first}` })
  t.equal(refreshed.status, 200)
  t.notOk('refreshToken' in refreshed.body)
  const second = cookieToken(refreshed.cookies)
  t.not(second, first, 'a new token in the cookie')

  const reused = await send(`${base}/auth/refresh`, {}, { ...origin, cookie: `refresh_token=${first}` })
  t.equal(reused.status, 401)
  t.equal(reused.body.code, 'REFRESH_TOKEN_REUSED', 'reuse detection works as with the body')
  t.equal(reused.cookies.length, 2)
  for (const cookie of reused.cookies) t.match(cookie, /^refresh_token=; Max-Age=0; Path=\/auth\/(refresh|logout); Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict$/)
  const after = await send(`${base}/auth/refresh`, {}, { ...origin, cookie: `refresh_token=${second}` })
  t.equal(after.body.code, 'INVALID_REFRESH_TOKEN', 'the session ended with the reuse')
})

t.test('the cookie authenticates only requests from the service\'s own origin, with a JSON body', async t => {
  const app = await build(t)
  const base = await listen(app)
  const { user } = await register(app)
  const token = cookieToken((await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: true })).cookies)
  const cookie = `refresh_token=${token}`

  const port = new URL(base).port
  const refused = [
    undefined, 'https://evil.example', 'null',
    // The same host by another scheme or port is another origin.
    `https://127.0.0.1:${port}`, `ftp://127.0.0.1:${port}`, `http://127.0.0.1:${Number(port) === 1 ? 2 : 1}`
  ]
  for (const headers of refused.map(origin => origin === undefined ? { cookie } : { cookie, origin }) as Array<Record<string, string>>) {
    const refresh = await send(`${base}/auth/refresh`, {}, headers)
    t.equal(refresh.status, 403, `refresh with origin ${headers.origin ?? '(none)'}`)
    t.equal(refresh.body.code, 'CROSS_SITE_REQUEST')
    const logout = await send(`${base}/auth/logout`, {}, headers)
    t.equal(logout.body.code, 'CROSS_SITE_REQUEST', `logout with origin ${headers.origin ?? '(none)'}`)
  }
  const form = await fetch(`${base}/auth/refresh`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' })
  t.equal(form.status, 415, 'refresh takes JSON only, which a cross-site form cannot send')

  const ok = await send(`${base}/auth/refresh`, {}, { cookie, origin: base })
  t.equal(ok.status, 200, 'the session was not harmed by the refused requests')
})

t.test('logout with the cookie ends the session and clears the cookie', async t => {
  const app = await build(t)
  const base = await listen(app)
  const { user } = await register(app)
  const login = await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: true })
  const cookie = `refresh_token=${cookieToken(login.cookies)}`

  const logout = await send(`${base}/auth/logout`, {}, { cookie, origin: base })
  t.equal(logout.status, 200)
  t.equal(logout.cookies.length, 2)
  for (const set of logout.cookies) t.match(set, /^refresh_token=; Max-Age=0;/)
  const me = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${login.body.accessToken as string}` } })
  t.equal(me.status, 401, 'the access token died with the session')
  t.equal((await send(`${base}/auth/refresh`, {}, { cookie, origin: base })).body.code, 'INVALID_REFRESH_TOKEN')
})

t.test('mobile clients are unchanged: no cookie unless asked for', async t => {
  const app = await build(t)
  const base = await listen(app)
  const { user } = await register(app)
  const login = await send(`${base}/auth/login`, { email: user.email, password: PASSWORD })
  t.type(login.body.refreshToken, 'string')
  t.same(login.cookies, [])
  const refreshed = await send(`${base}/auth/refresh`, { refreshToken: login.body.refreshToken })
  t.type(refreshed.body.refreshToken, 'string')
  t.same(refreshed.cookies, [])
  t.equal((await send(`${base}/auth/login`, { email: user.email, password: PASSWORD, cookie: 'yes' })).status, 400, 'the flag is a boolean')
})
