import t from 'tap'
import { build } from '../helper.js'

t.test('responses carry security headers, and /docs a policy that allows only its own assets', async t => {
  const app = await build(t)
  const docs = await app.inject('/docs/')
  const csp = docs.headers['content-security-policy'] as string
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts')
  t.match(csp, /frame-ancestors 'none'/)
  t.notMatch(csp, /upgrade-insecure-requests/, 'plain-HTTP deployments on localhost keep working')
  t.notMatch(docs.body, /<script>(?!\s*<\/script>)/, 'the page itself has no inline script the policy would block')

  const api = await app.inject('/health')
  t.match(api.headers, {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000'
  })
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
