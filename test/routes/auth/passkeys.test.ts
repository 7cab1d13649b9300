import t from 'tap'
import { bearer, build, PASSWORD, post, register, type Session } from '../../helper.js'
import { SoftAuthenticator } from '../../helpers/authenticator.js'
import { query } from '../../helpers/database.js'
import { authenticator } from '../../helpers/totp.js'
import type { App } from '../../helpers/types.js'
import { loadConfig } from '../../../src/config.js'

const ORIGIN = 'https://auth.example.com'
const ENV = { PUBLIC_URL: ORIGIN }

function send (app: App, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, accessToken: string, payload?: object) {
  return app.inject({ method, url, headers: bearer(accessToken), payload })
}

function claimsOf (accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString())
}

/** Adds a passkey of `device` to `user`'s account through the API; returns the passkey as listed. */
async function addPasskey (app: App, user: Session, device: SoftAuthenticator, name?: string) {
  const options = await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })
  if (options.statusCode !== 200) throw new Error(`options: ${options.body}`)
  const added = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, {
    response: device.create(options.json()), ...(name === undefined ? {} : { name })
  })
  if (added.statusCode !== 201) throw new Error(`register: ${added.body}`)
  return added.json()
}

async function loginOptions (app: App) {
  const options = await post(app, '/auth/passkeys/login/options', {})
  if (options.statusCode !== 200) throw new Error(`login options: ${options.body}`)
  return options.json()
}

t.test('add a passkey with the password, list it, sign in with it: the session is two factors', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN })

  const unasked = await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, {})
  t.equal(unasked.statusCode, 400, 'a one-factor session must give its password')
  t.match(unasked.json(), { code: 'VALIDATION_ERROR', details: [{ path: '/password' }] })
  const wrong = await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: 'not the password' })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'INVALID_CREDENTIALS')

  const options = await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })
  t.equal(options.statusCode, 200)
  const creation = options.json()
  t.match(creation, {
    rp: { id: 'auth.example.com', name: 'Auth' },
    user: { id: Buffer.from(user.user.id).toString('base64url'), name: user.user.email },
    timeout: 300000,
    attestation: 'none',
    excludeCredentials: [],
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' }
  })
  t.same(creation.pubKeyCredParams.map((param: { alg: number }) => param.alg), [-8, -7, -257])

  const added = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, {
    response: device.create(creation), name: '  Work laptop '
  })
  t.equal(added.statusCode, 201)
  t.match(added.json(), { name: 'Work laptop', lastUsedAt: null, deviceType: 'singleDevice', backedUp: false })
  const listed = (await send(app, 'GET', '/auth/passkeys', user.accessToken)).json()
  t.same(listed.passkeys.map((passkey: { id: string }) => passkey.id), [added.json().id])
  t.equal(listed.limit, 20)
  t.equal((await send(app, 'GET', '/auth/mfa', user.accessToken)).json().passkeys, 1)

  const again = (await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })).json()
  t.same(again.excludeCredentials.map((credential: { id: string }) => credential.id),
    [device.credentials[0]?.id.toString('base64url')], 'an authenticator never makes a second passkey for the account')

  const request = await loginOptions(app)
  t.match(request, { rpId: 'auth.example.com', allowCredentials: [], userVerification: 'preferred', timeout: 300000 })
  const signedIn = await post(app, '/auth/passkeys/login', { response: device.get(request) })
  t.equal(signedIn.statusCode, 200)
  const { accessToken, refreshToken, user: who } = signedIn.json()
  t.equal(who.id, user.user.id)
  t.ok(refreshToken, 'a refresh token, as a login gives')
  t.same(claimsOf(accessToken).amr, ['hwk', 'user', 'mfa'], 'a device-bound key that verified its user')
  t.same((await send(app, 'GET', '/auth/me', accessToken)).json().amr, ['hwk', 'user', 'mfa'])
  const refreshed = await post(app, '/auth/refresh', { refreshToken })
  t.same(claimsOf(refreshed.json().accessToken).amr, ['hwk', 'user', 'mfa'], 'kept across refreshes')

  const used = (await send(app, 'GET', '/auth/passkeys', accessToken)).json().passkeys[0]
  t.match(used.lastUsedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/, 'its last use, to the minute')
  const events = await query(app)`SELECT type, reason FROM auth_events WHERE user_id = ${user.user.id} ORDER BY id`
  t.same(events.map(event => `${String(event.type)}:${String(event.reason)}`), ['register:null', 'email_verification_requested:null', 'login_failure:wrong_current_password', 'passkey_added:null', 'login_success:passkey', 'refresh:null'])
})

t.test('a synced passkey without user verification is one factor (swk)', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN, synced: true, userVerification: false, counts: false })
  const added = await addPasskey(app, user, device)
  t.match(added, { deviceType: 'multiDevice', backedUp: true, name: 'Passkey 1' })
  const signedIn = await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)), cookie: true })
  t.equal(signedIn.statusCode, 200)
  t.same(claimsOf(signedIn.json().accessToken).amr, ['swk'])
  t.notOk(signedIn.json().refreshToken, 'cookie mode: the refresh token is in the cookie only')
  t.match(signedIn.headers['set-cookie'], /HttpOnly/)
  // A synced passkey keeps no counter: a second sign-in with counter 0 is fine.
  t.equal((await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })).statusCode, 200)
})

t.test('challenges: single-use, of their own ceremony and user, five minutes', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const other = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN })
  await addPasskey(app, user, device)

  // A registration's challenge never signs anyone in.
  const creation = (await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })).json()
  const crossed = await post(app, '/auth/passkeys/login', { response: device.get({ challenge: creation.challenge, rpId: 'auth.example.com' }) })
  t.equal(crossed.statusCode, 401)
  t.equal(crossed.json().code, 'INVALID_PASSKEY')
  // …and a sign-in's challenge registers nothing.
  const request = await loginOptions(app)
  const wrongCeremony = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, {
    response: new SoftAuthenticator({ origin: ORIGIN }).create({ ...creation, challenge: request.challenge })
  })
  t.equal(wrongCeremony.statusCode, 400)
  t.equal(wrongCeremony.json().code, 'INVALID_PASSKEY')
  // Another user's registration challenge is not this user's.
  const otherCreation = (await send(app, 'POST', '/auth/passkeys/register/options', other.accessToken, { password: PASSWORD })).json()
  const stolen = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, {
    response: new SoftAuthenticator({ origin: ORIGIN }).create({ ...creation, challenge: otherCreation.challenge })
  })
  t.equal(stolen.statusCode, 400)

  // A replayed assertion: its challenge is spent.
  const assertion = device.get(await loginOptions(app))
  t.equal((await post(app, '/auth/passkeys/login', { response: assertion })).statusCode, 200)
  const replayed = await post(app, '/auth/passkeys/login', { response: assertion })
  t.equal(replayed.statusCode, 401)
  t.equal(replayed.json().code, 'INVALID_PASSKEY')

  // An expired one.
  const late = await loginOptions(app)
  await query(app)`UPDATE passkey_challenges SET expires_at = ${new Date(Date.now() - 1000)}`
  const expired = await post(app, '/auth/passkeys/login', { response: device.get(late) })
  t.equal(expired.statusCode, 401)
  const reasons = await query(app)`SELECT reason FROM auth_events WHERE type = 'login_failure' AND user_id IS NULL ORDER BY id`
  t.same(reasons.map(row => row.reason), ['passkey_challenge', 'passkey_challenge', 'passkey_challenge'],
    'each failed sign-in is audited')
  t.ok((await query(app)`SELECT challenge_hash FROM passkey_challenges WHERE expires_at <= ${new Date()}`).length > 0,
    'expired challenges stay…')
  await loginOptions(app)
  t.equal((await query(app)`SELECT challenge_hash FROM passkey_challenges WHERE expires_at <= ${new Date()}`).length, 0,
    '…until a new one is kept: unfinished ceremonies never pile up')
})

t.test('a foreign origin, a foreign relying party, a counter gone back, an unknown passkey: 401', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN })
  await addPasskey(app, user, device)
  const credential = device.credentials[0]
  if (credential === undefined) throw new Error('no credential')

  const phished = await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app), { origin: 'https://auth-example.com' }) })
  t.equal(phished.statusCode, 401, 'an assertion made on another site')
  const elsewhere = new SoftAuthenticator({ origin: ORIGIN })
  const options = await loginOptions(app)
  elsewhere.credentials.push({ ...credential, rpId: 'example.org' })
  t.equal((await post(app, '/auth/passkeys/login', { response: elsewhere.get({ ...options, rpId: 'example.org' }) })).statusCode, 401,
    'signed for another relying party')

  t.equal((await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })).statusCode, 200)
  const cloned = await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app), { counter: 1 }) })
  t.equal(cloned.statusCode, 401, 'a counter that went backwards (a cloned key)')
  t.equal((await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })).statusCode, 200,
    'the key itself still signs in')

  const relabelled = device.get(await loginOptions(app))
  relabelled.response.userHandle = Buffer.from(crypto.randomUUID()).toString('base64url')
  t.equal((await post(app, '/auth/passkeys/login', { response: relabelled })).statusCode, 401,
    'an assertion naming another user than its passkey\'s')

  const stranger = new SoftAuthenticator({ origin: ORIGIN })
  stranger.create({ challenge: 'x', rp: { id: 'auth.example.com' }, user: { id: Buffer.from(user.user.id).toString('base64url') } })
  t.equal((await post(app, '/auth/passkeys/login', { response: stranger.get(await loginOptions(app)) })).statusCode, 401,
    'a passkey this service never registered')

  const reasons = await query(app)`SELECT reason FROM auth_events WHERE type = 'login_failure' ORDER BY id`
  t.same(reasons.map(row => row.reason), ['passkey_signature', 'passkey_signature', 'passkey_signature', 'unknown_passkey', 'unknown_passkey'])
})

t.test('rename and delete: step-up for two-factor accounts, and another user\'s passkey is a 404', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const other = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN })
  const passkey = await addPasskey(app, user, device)

  for (const [method, payload] of [['PATCH', { name: 'Mine now' }], ['DELETE', undefined]] as const) {
    const response = await send(app, method, `/auth/passkeys/${passkey.id as string}`, other.accessToken, payload)
    t.equal(response.statusCode, 404, `${method} of another user's passkey`)
    t.equal(response.json().code, 'NOT_FOUND')
  }
  const renamed = await send(app, 'PATCH', `/auth/passkeys/${passkey.id as string}`, user.accessToken, { name: 'Phone' })
  t.equal(renamed.statusCode, 200)
  t.equal(renamed.json().name, 'Phone')
  t.equal((await send(app, 'PATCH', `/auth/passkeys/${passkey.id as string}`, user.accessToken, { name: 'a\u0007b' })).statusCode, 400)

  // Two-factor on: this access token was signed before, with one factor.
  const enrolled = await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })
  const code = authenticator(enrolled.json().secret)
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: code() })).statusCode, 200)
  const refused = await send(app, 'DELETE', `/auth/passkeys/${passkey.id as string}`, user.accessToken)
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'MFA_REQUIRED')
  t.equal((await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })).statusCode, 403,
    'adding one needs the second factor too')

  // A passkey that verifies its user is two factors: it signs in without the code, and may delete.
  const signedIn = await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })
  t.equal(signedIn.statusCode, 200, 'no second step after a verifying passkey')
  const strong = signedIn.json().accessToken
  t.equal((await send(app, 'POST', '/auth/passkeys/register/options', strong, {})).statusCode, 200,
    'a two-factor session adds a passkey without the password')
  const deleted = await send(app, 'DELETE', `/auth/passkeys/${passkey.id as string}`, strong)
  t.equal(deleted.statusCode, 200)
  t.same((await send(app, 'GET', '/auth/passkeys', strong)).json().passkeys, [])
  t.equal((await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })).statusCode, 401,
    'a deleted passkey signs no one in')
  const events = await query(app)`SELECT type FROM auth_events WHERE user_id = ${user.user.id} AND type LIKE 'passkey_%' ORDER BY id`
  t.same(events.map(event => event.type), ['passkey_added', 'passkey_removed'])
})

t.test('two-factor accounts accept only passkeys that verify their user; disabled accounts none', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN, userVerification: false })
  await addPasskey(app, user, device)
  t.equal((await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })).statusCode, 200)

  const enrolled = await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })
  await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: authenticator(enrolled.json().secret)() })
  const unverified = await post(app, '/auth/passkeys/login', { response: device.get(await loginOptions(app)) })
  t.equal(unverified.statusCode, 401, 'a passkey alone is one factor: not enough for a two-factor account')

  await query(app)`UPDATE users SET disabled_at = ${new Date()} WHERE id = ${user.user.id}`
  const verifying = new SoftAuthenticator({ origin: ORIGIN })
  verifying.credentials.push(...device.credentials)
  t.equal((await post(app, '/auth/passkeys/login', { response: verifying.get(await loginOptions(app)) })).statusCode, 401,
    'a disabled account')
})

t.test('at most 20 passkeys', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const { store } = app
  for (let i = 0; i < 20; i++) {
    await store.db.insert(store.tables.passkeys).values({
      id: crypto.randomUUID(),
      userId: user.user.id,
      credentialId: `credential-${i}`,
      publicKey: 'AAAA',
      counter: 0,
      transports: '',
      deviceType: 'singleDevice',
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: `Key ${i}`,
      createdAt: new Date(),
      lastUsedAt: null
    })
  }
  const full = await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })
  t.equal(full.statusCode, 409)
  t.equal(full.json().code, 'PASSKEY_LIMIT')
})

t.test('bad bodies are 400s in the common shape', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  for (const response of [{}, { id: 'a', rawId: 'a', type: 'public-key', clientExtensionResults: {}, response: {} }, 'x']) {
    const login = await post(app, '/auth/passkeys/login', { response })
    t.equal(login.statusCode, 400)
    t.equal(login.json().code, 'VALIDATION_ERROR')
  }
  const garbage = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'AAAA', signature: 'AAAA' } }
  t.equal((await post(app, '/auth/passkeys/login', { response: garbage })).statusCode, 401, 'client data that is not JSON')
  t.equal((await post(app, '/auth/passkeys/login/options', { extra: 1 })).statusCode, 400)
  const register400 = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, { response: { ...garbage, response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' } } })
  t.equal(register400.statusCode, 400)
  t.equal(register400.json().code, 'INVALID_PASSKEY')
  t.equal((await send(app, 'DELETE', '/auth/passkeys/not-a-uuid', user.accessToken)).statusCode, 400)
})

t.test('a PUBLIC_URL on an IP address: passkeys are off (503), the rest works', async t => {
  const app = await build(t, { PUBLIC_URL: 'http://10.1.2.3:3000' })
  const options = await post(app, '/auth/passkeys/login/options', {})
  t.equal(options.statusCode, 503)
  t.equal(options.json().code, 'PASSKEYS_UNAVAILABLE')
})

t.test('the relying party from the configuration', async t => {
  const local = loadConfig({ DATABASE_URL: ':memory:' }).passkeys
  t.match(local, { rpId: 'localhost', rpName: 'Auth', origins: ['http://localhost:3000'] }, 'the default PUBLIC_URL is reached as localhost')
  t.same(loadConfig({ DATABASE_URL: ':memory:', WEBAUTHN_RP_ID: 'localhost' }).passkeys.origins, ['http://localhost:3000'],
    'localhost named, with the default PUBLIC_URL')
  const site = loadConfig({
    DATABASE_URL: ':memory:',
    PUBLIC_URL: 'https://login.example.com',
    WEBAUTHN_RP_ID: 'example.com',
    ANDROID_APP_LINKS: `com.example.app@${'AB:'.repeat(31)}CD`
  }).passkeys
  t.equal(site.rpId, 'example.com')
  t.same(site.origins, ['https://login.example.com', `android:apk-key-hash:${Buffer.from(`${'ab'.repeat(31)}cd`, 'hex').toString('base64url')}`],
    'the site, and the Android app by its signing certificate')
  const listed = loadConfig({
    DATABASE_URL: ':memory:',
    PUBLIC_URL: 'https://login.example.com',
    WEBAUTHN_RP_ID: 'example.com',
    WEBAUTHN_ORIGINS: 'https://app.example.com',
    ANDROID_APP_LINKS: `com.example.app@${'AB:'.repeat(31)}CD`
  }).passkeys
  t.same(listed.origins, ['https://app.example.com', site.origins[1]], 'the Android app stays with WEBAUTHN_ORIGINS set')
  const withIos = loadConfig({
    DATABASE_URL: ':memory:', PUBLIC_URL: 'https://login.example.com', WEBAUTHN_RP_ID: 'example.com', APPLE_APP_IDS: 'ABCDE12345.com.example.app'
  }).passkeys
  t.same(withIos.origins, ['https://login.example.com', 'https://example.com'], 'iOS apps sign as https:// and the domain')
  for (const [env, problem] of [
    [{ WEBAUTHN_RP_ID: 'https://example.com' }, /WEBAUTHN_RP_ID must be a domain name/],
    [{ WEBAUTHN_RP_ID: '192.168.1.1' }, /WEBAUTHN_RP_ID must be a domain name/],
    [{ WEBAUTHN_RP_ID: 'example.org' }, /WEBAUTHN_RP_ID \(example\.org\) must be PUBLIC_URL's host/],
    [{ WEBAUTHN_ORIGINS: 'https://example.org' }, /WEBAUTHN_ORIGINS: https:\/\/example\.org is not on WEBAUTHN_RP_ID's domain/],
    [{ WEBAUTHN_ORIGINS: 'android:apk-key-hash:short' }, /WEBAUTHN_ORIGINS: an Android origin/],
    [{ ANDROID_APP_LINKS: 'com.example.app@AB:CD' }, /ANDROID_APP_LINKS must be a comma list of package@fingerprint/],
    [{ ANDROID_APP_LINKS: `com.example.app@${'AB:'.repeat(31)}CD@x` }, /ANDROID_APP_LINKS must be a comma list/],
    [{ WEBAUTHN_RP_ID: 'com', PUBLIC_URL: 'https://com' }, /WEBAUTHN_RP_ID must be a domain name/],
    [{ WEBAUTHN_ORIGINS: 'http://login.example.com' }, /WEBAUTHN_ORIGINS: http:\/\/login\.example\.com is not https:\/\//],
    [{ APPLE_APP_IDS: 'com.example.app' }, /APPLE_APP_IDS must be a comma list of TEAMID\.bundle\.id/]
  ] as const) {
    t.throws(() => loadConfig({ DATABASE_URL: ':memory:', PUBLIC_URL: 'https://login.example.com', ...env }), problem)
  }
})

t.test('the apps\' association files: served when configured, 404 when not', async t => {
  const fingerprint = `${'14:6D:E9:'.repeat(10)}5E:0A`
  const app = await build(t, {
    ...ENV,
    ANDROID_APP_LINKS: `com.example.app@${fingerprint},com.example.app@${fingerprint.replace('14', '15').toLowerCase()}`,
    APPLE_APP_IDS: 'ABCDE12345.com.example.app'
  })
  const android = await app.inject('/.well-known/assetlinks.json')
  t.equal(android.statusCode, 200)
  t.match(android.headers['content-type'], /^application\/json/)
  t.same(android.json(), [{
    relation: ['delegate_permission/common.get_login_creds'],
    target: {
      namespace: 'android_app',
      package_name: 'com.example.app',
      sha256_cert_fingerprints: [fingerprint, fingerprint.replace('14', '15')]
    }
  }])
  const apple = await app.inject('/.well-known/apple-app-site-association')
  t.equal(apple.statusCode, 200)
  t.match(apple.headers['content-type'], /^application\/json/)
  t.same(apple.json(), { webcredentials: { apps: ['ABCDE12345.com.example.app'] } })

  const plain = await build(t, ENV)
  for (const url of ['/.well-known/assetlinks.json', '/.well-known/apple-app-site-association']) {
    const response = await plain.inject(url)
    t.equal(response.statusCode, 404, url)
    t.equal(response.json().code, 'NOT_FOUND')
  }
})

t.test('a new passkey and a deleted one are told to the owner by mail', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const passkey = await addPasskey(app, user, new SoftAuthenticator({ origin: ORIGIN }), 'Phone')
  t.equal((await send(app, 'DELETE', `/auth/passkeys/${passkey.id as string}`, user.accessToken)).statusCode, 200)
  const sent = await query(app)`SELECT recipient, purpose, text FROM mail_outbox WHERE purpose LIKE 'passkey_%' ORDER BY created_at, purpose`
  t.same(sent.map(row => row.purpose), ['passkey_added', 'passkey_removed'])
  t.equal(sent[0]?.recipient, user.user.email)
  t.match(sent[0]?.text, /A passkey named "Phone" was just added to your account/)
  t.match(sent[0]?.text, /https:\/\/auth\.example\.com\/account/, 'with the page where it is deleted')
  t.match(sent[1]?.text, /The passkey named "Phone" was just deleted/)
})

t.test('a credential ID other than the one signed, or too long, is refused: never a 500', async t => {
  const app = await build(t, ENV)
  const user = await register(app)
  const options = async () => (await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })).json()
  const device = new SoftAuthenticator({ origin: ORIGIN })
  const renamed = device.create(await options())
  renamed.id = renamed.rawId = Buffer.from('another credential').toString('base64url')
  const mismatch = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, { response: renamed })
  t.equal(mismatch.statusCode, 400)
  t.equal(mismatch.json().code, 'INVALID_PASSKEY')
  const long = device.create(await options(), { id: Buffer.alloc(1200, 7) })
  long.id = long.rawId = long.id.slice(0, 1366)
  const tooLong = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, { response: long })
  t.equal(tooLong.statusCode, 400, 'past 1,023 bytes')
  t.equal(tooLong.json().code, 'INVALID_PASSKEY')
  t.same((await send(app, 'GET', '/auth/passkeys', user.accessToken)).json().passkeys, [], 'nothing kept')
  const blank = await send(app, 'POST', '/auth/passkeys/register', user.accessToken, {
    response: device.create(await options()), name: '   '
  })
  t.equal(blank.statusCode, 400, 'a blank name')
  t.match(blank.json(), { code: 'VALIDATION_ERROR', details: [{ path: '/name' }] })
})

t.test('two accounts registering one credential at once: one gets it, the other a 400', async t => {
  const app = await build(t, ENV)
  const users = [await register(app), await register(app)]
  const id = Buffer.from('one credential for two accounts')
  for (let round = 0; round < 5; round++) {
    const roundId = Buffer.concat([id, Buffer.from([round])])
    const bodies = await Promise.all(users.map(async user => {
      const options = (await send(app, 'POST', '/auth/passkeys/register/options', user.accessToken, { password: PASSWORD })).json()
      return new SoftAuthenticator({ origin: ORIGIN }).create(options, { id: roundId })
    }))
    const answers = await Promise.all(users.map((user, i) => send(app, 'POST', '/auth/passkeys/register', user.accessToken, { response: bodies[i] })))
    t.same(answers.map(answer => answer.statusCode).sort(), [201, 400], `round ${round}`)
  }
})

t.test('two-factor turned on while a passkey without user verification signs in: no one-factor session', async t => {
  let before: (() => Promise<void>) | undefined
  const app = await build(t, ENV, {
    setup: app => {
      const transaction = app.store.transaction.bind(app.store)
      // Runs `before` ahead of the transaction that starts the session (the one whose work starts one): after
      // the signature was checked against the account as read then.
      ;(app.store as { transaction: typeof transaction }).transaction = async (work, options) => {
        if (before !== undefined && String(work).includes('sessions.start')) {
          const hook = before
          before = undefined
          await hook()
        }
        return await transaction(work, options)
      }
    }
  })
  const user = await register(app)
  const device = new SoftAuthenticator({ origin: ORIGIN, userVerification: false })
  await addPasskey(app, user, device)
  const assertion = device.get(await loginOptions(app))
  // Between the signature's check and the session's transaction, as a confirmation on another request would.
  before = async () => { await query(app)`UPDATE users SET mfa_enabled_at = ${new Date()} WHERE id = ${user.user.id}` }
  const answer = await post(app, '/auth/passkeys/login', { response: assertion })
  t.equal(answer.statusCode, 401)
  t.equal(answer.json().code, 'INVALID_PASSKEY')
  t.equal(before, undefined, 'the change came in the window')
})

t.test('the login page\'s options are counted apart from password logins', async t => {
  const app = await build(t, { ...ENV, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN: '2/1m' })
  const user = await register(app)
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await post(app, '/auth/passkeys/login/options', {})).statusCode)
  t.same(statuses, [200, 200, 429], 'at RATE_LIMIT_LOGIN')
  t.equal((await post(app, '/auth/login', { email: user.user.email, password: PASSWORD })).statusCode, 200,
    'views of the login page leave the password logins of the address alone')
})
