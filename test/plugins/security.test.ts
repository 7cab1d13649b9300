import t from 'tap'
import { build, newUser, post } from '../helper.js'

t.test('responses carry security headers, and /docs a policy that allows only its own assets', async t => {
  const app = await build(t)
  const docs = await app.inject('/docs/')
  const csp = docs.headers['content-security-policy'] as string
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts')
  t.match(csp, /frame-ancestors 'none'/)
  t.notMatch(csp, /upgrade-insecure-requests/, 'plain-HTTP deployments on localhost keep working')
  t.notMatch(docs.body, /<script>(?!\s*<\/script>)/, 'the page itself has no inline script the policy would block')

  for (const url of ['/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/json', '/login', '/assets/app.js']) {
    const page = await app.inject(url)
    t.equal(page.statusCode, 200, url)
    t.equal(page.headers['content-security-policy'], csp, `${url}: the policy of /docs`)
    t.equal(page.headers['x-permitted-cross-domain-policies'], 'none', `${url}: and the rest of the browser set`)
    t.not(page.headers['cache-control'], 'no-store', `${url}: not held to the API's caching`)
  }
  t.equal((await app.inject('/login')).headers['cache-control'], 'no-cache')

  for (const url of ['/health', '/auth/me', '/no/such/route']) {
    const api = await app.inject(url)
    t.match(api.headers, {
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000'
    }, `${url}: the API's headers, whatever the status`)
    t.equal(api.headers['x-permitted-cross-domain-policies'], undefined, `${url}: none of the headers meant for pages`)
  }
})

t.test('an answer with tokens in it may not be stored by any cache (RFC 6749, section 5.1)', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register', newUser())
  t.equal(response.statusCode, 201)
  t.type(response.json().refreshToken, 'string')
  t.equal(response.headers['cache-control'], 'no-store')
})

t.test('without CORS_ORIGINS no other origin may call the API from a browser', async t => {
  const app = await build(t)
  const response = await app.inject({ url: '/health', headers: { origin: 'https://evil.example.com' } })
  t.equal(response.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } })
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
})

t.test('origins listed in CORS_ORIGINS may call the API, and no others', async t => {
  const app = await build(t, { CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' })
  const allowed = await app.inject({ url: '/health', headers: { origin: 'https://app.example.com' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com')
  t.match(allowed.headers['access-control-expose-headers'], /retry-after/)
  t.equal(allowed.headers['access-control-allow-credentials'], undefined, 'no cookies across origins')

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:5173')
  t.match(preflight.headers['access-control-allow-headers'], /authorization/)

  const other = await app.inject({ url: '/health', headers: { origin: 'https://app.example.com.evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})
