import t from 'tap'
import { build } from '../helper.js'

t.test('the pages and their assets: content types, revalidation, nothing else served', async t => {
  const app = await build(t)
  for (const [url, type] of [['/', 'text/html'], ['/login', 'text/html'], ['/register', 'text/html'], ['/verify-email', 'text/html'], ['/forgot-password', 'text/html'], ['/reset-password', 'text/html'], ['/change-email', 'text/html'], ['/account', 'text/html'], ['/assets/app.js', 'application/javascript'], ['/assets/account.js', 'application/javascript'], ['/assets/passkeys.js', 'application/javascript'], ['/assets/webauthn.js', 'application/javascript'], ['/assets/app.css', 'text/css']] as const) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200, url)
    t.equal(response.headers['content-type'], `${type}; charset=utf-8`, url)
    t.equal(response.headers['cache-control'], 'no-cache', `${url} is revalidated on each use`)
    t.match(response.headers['content-security-policy'], /script-src 'self'/, `${url} carries the security headers`)
    const again = await app.inject({ url, headers: { 'if-none-match': response.headers.etag as string } })
    t.equal(again.statusCode, 304, `${url} unchanged costs a 304`)
  }
  for (const url of ['/assets/index.html', '/assets/../package.json', '/assets/nope.js', '/login.html', '/pages/login.html']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 404, url)
    t.equal(response.json().code, 'NOT_FOUND', url)
  }
  const pages = (await app.inject({ url: '/' })).body
  t.match(pages, /<script src="\/assets\/app\.js" defer><\/script>/)
  t.notMatch(pages, /<script>/, 'no inline script, which the CSP would block')
  const account = await app.inject({ url: '/account' })
  t.match(account.body, /<script src="\/assets\/app\.js" defer><\/script>\s*<script src="\/assets\/webauthn\.js" defer><\/script>\s*<script src="\/assets\/passkeys\.js" defer><\/script>\s*<script src="\/assets\/account\.js" defer><\/script>/,
    'the account page\'s scripts run after app.js, whose helpers they use, and the passkeys\' after the WebAuthn library')
  const webauthn = await app.inject({ url: '/assets/webauthn.js' })
  t.match(webauthn.body, /^\/\* \[@simplewebauthn\/browser@13\./, 'the browser half of passkeys, from the installed package')
  t.match(account.headers['content-security-policy'], /img-src 'self' data:/, 'the QR code of two-factor is a data: URL')
})

t.test('the pages are not part of the API document', async t => {
  const app = await build(t)
  const paths = Object.keys((await app.inject({ url: '/docs/json' })).json().paths)
  t.notOk(paths.some(path => ['/', '/login', '/register', '/verify-email', '/forgot-password', '/reset-password', '/change-email', '/account'].includes(path) || path.startsWith('/assets')))
})
