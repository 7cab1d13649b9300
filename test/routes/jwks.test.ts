/**
 * Asymmetric access tokens and the public key set, checked as another service would check them:
 * with a standard JWT library (jose) that knows nothing but the JWKS URL.
 */
import { createHmac, createPublicKey, generateKeyPairSync, type JsonWebKey, sign } from 'node:crypto'
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import t from 'tap'
import { bearer, build, listen, login, register } from '../helper.js'
import { query, sharedDatabase } from '../helpers/database.js'
import { cli } from '../helpers/processes.js'

const ASYMMETRIC = { JWT_SECRET: '', JWT_ALGORITHM: 'EdDSA' }

interface Jwk { kid: string, alg: string, kty: string, use: string }

async function keySet (app: Awaited<ReturnType<typeof build>>): Promise<Jwk[]> {
  const response = await app.inject('/.well-known/jwks.json')
  if (response.statusCode !== 200) throw new Error(`jwks: ${response.statusCode} ${response.body}`)
  return response.json().keys
}

/** Polls until `check` holds, for at most `seconds`; the result of the last try. */
async function eventually (check: () => Promise<boolean>, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

t.test('with HS256 (the default) there is no public key: the JWKS is a 404 and tokens carry no kid', async t => {
  const app = await build(t)
  const response = await app.inject('/.well-known/jwks.json')
  t.equal(response.statusCode, 404)
  t.match(response.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: /HS256/ })
  const { accessToken } = await register(app)
  t.strictSame(decodeProtectedHeader(accessToken), { alg: 'HS256', typ: 'at+jwt' })
})

for (const [algorithm, kty] of [['EdDSA', 'OKP'], ['ES256', 'EC'], ['RS256', 'RSA']]) {
  t.test(`${algorithm}: tokens name their key, and the published key verifies them`, async t => {
    const app = await build(t, { ...ASYMMETRIC, JWT_ALGORITHM: algorithm as string, JWT_ISSUER: 'https://auth.example.com' })
    const response = await app.inject('/.well-known/jwks.json')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['cache-control'], 'public, max-age=60')
    const keys: Array<Jwk & Record<string, string>> = response.json().keys
    t.equal(keys.length, 1, 'one key, generated on first start')
    const [key] = keys as [Jwk & Record<string, string>]
    t.match(key, { kty, alg: algorithm, use: 'sig', kid: /^[\w-]{43}$/ })
    t.notOk('d' in key || 'p' in key || 'q' in key, 'no private member is published')

    const { accessToken, user } = await register(app)
    t.strictSame(decodeProtectedHeader(accessToken), { alg: algorithm, typ: 'at+jwt', kid: key.kid })
    const { payload } = await jwtVerify(accessToken, await importJWK(key, algorithm), { issuer: 'https://auth.example.com', typ: 'at+jwt' })
    t.equal(payload.sub, user.id)
    t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200)
  })
}

t.test('a key removed from the database takes the tokens it signed with it, even ones verified before', async t => {
  const app = await build(t, ASYMMETRIC)
  const { accessToken } = await register(app)
  const verify = async (token: string) => (await app.inject({ method: 'POST', url: '/auth/token/verify', payload: { token } })).statusCode
  t.strictSame([await verify(accessToken), await verify(accessToken)], [200, 200])
  const { kid } = decodeProtectedHeader(accessToken)
  await app.accessTokens.rotate()
  // An operator deletes the previous key by hand (after a compromise, say); the next re-read sees it gone.
  await query(app)`DELETE FROM signing_keys WHERE kid = ${kid}`
  await app.accessTokens.reload()
  t.equal(await verify(accessToken), 401)
  const { accessToken: fresh } = await register(app)
  t.equal(await verify(fresh), 200, 'the new key signs and verifies')
})

t.test('tokens that are not signed by a published key are refused', async t => {
  const app = await build(t, ASYMMETRIC)
  const { accessToken } = await register(app)
  const [header, payload] = accessToken.split('.') as [string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const [key] = await keySet(app) as [Jwk]
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const stranger = generateKeyPairSync('ed25519').privateKey
  const signed = (head: Record<string, unknown>) => {
    const input = `${encode(head)}.${encode(claims)}`
    return `${input}.${sign(null, Buffer.from(input), stranger).toString('base64url')}`
  }
  // HS256 over the public key's bytes: the classic algorithm-confusion forgery.
  const publicPem = createPublicKey({ key: key as unknown as JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' })
  const confusedInput = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${payload}`
  const confused = `${confusedInput}.${createHmac('sha256', publicPem).update(confusedInput).digest('base64url')}`
  const cases: Array<[string, string]> = [
    ['another key under the published kid', signed({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })],
    ['an unknown kid', signed({ alg: 'EdDSA', typ: 'at+jwt', kid: 'unknown' })],
    ['no kid', signed({ alg: 'EdDSA', typ: 'at+jwt' })],
    ['HS256 keyed with the public key', confused],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.${payload}.${accessToken.split('.')[2]}`],
    ['the real token with a changed header', `${encode({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), typ: 'JWT' })}.${payload}.${accessToken.split('.')[2]}`]
  ]
  for (const [name, token] of cases) {
    const response = await app.inject({ url: '/auth/me', headers: bearer(token) })
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().code, 'INVALID_TOKEN', name)
  }
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200, 'the genuine token still passes')
})

t.test('another service verifies through the JWKS alone across a key rotation made by the CLI', async t => {
  const env = { ...ASYMMETRIC, ...(await sharedDatabase(t)), ACCESS_TOKEN_TTL: '2m' }
  const app = await build(t, env)
  // A second instance on the same database, as behind a load balancer.
  const other = await build(t, env)
  const base = await listen(app)
  // As a verifying service would configure jose; no cool-down, so a new kid is fetched at once.
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', base), { cooldownDuration: 0 })
  const verify = async (token: string) => (await jwtVerify(token, jwks, { typ: 'at+jwt', algorithms: ['EdDSA'] })).payload

  const before = await register(app)
  const oldKid = decodeProtectedHeader(before.accessToken).kid
  t.equal((await verify(before.accessToken)).sub, before.user.id)

  const rotated = await cli(['rotate-keys'], env)
  t.equal(rotated.code, 0, rotated.stderr)
  t.match(rotated.stdout, /^New EdDSA signing key [\w-]{43}; the previous key stays published/)
  const newKid = /key ([\w-]{43})/.exec(rotated.stdout)?.[1]

  // Each instance re-reads the keys within seconds and signs with the new one.
  let after: Awaited<ReturnType<typeof login>> | undefined
  t.ok(await eventually(async () => {
    after = await login(app, before.user.email)
    return decodeProtectedHeader(after.accessToken).kid === newKid
  }, 15), 'the instance signs with the new key')
  const fresh = after as Awaited<ReturnType<typeof login>>
  t.equal((await verify(fresh.accessToken)).sid, JSON.parse(Buffer.from(fresh.accessToken.split('.')[1] as string, 'base64url').toString()).sid)
  t.equal((await verify(before.accessToken)).sub, before.user.id, 'a token of the previous key still verifies')
  t.same((await keySet(app)).map(key => key.kid).sort(), [oldKid, newKid].sort(), 'both keys are published')

  // The other instance knows the new key at once (an unknown kid makes it re-read the keys).
  t.equal((await other.inject({ url: '/auth/me', headers: bearer(fresh.accessToken) })).statusCode, 200)
  t.equal((await other.inject({ url: '/auth/me', headers: bearer(before.accessToken) })).statusCode, 200)
  t.ok(await eventually(async () => decodeProtectedHeader((await login(other, before.user.email)).accessToken).kid === newKid, 15),
    'the other instance signs with the new key too')
})

t.test('the retired key leaves the JWKS once the tokens it signed have expired', async t => {
  const env = { ...ASYMMETRIC, ...(await sharedDatabase(t)), ACCESS_TOKEN_TTL: '1s' }
  const app = await build(t, env)
  const [old] = await keySet(app) as [Jwk]
  const { accessToken } = await register(app)
  const rotated = await cli(['rotate-keys'], env)
  t.equal(rotated.code, 0, rotated.stderr)
  t.ok(await eventually(async () => (await keySet(app)).length === 2, 15), 'the new key is published beside the old one')
  t.ok(await eventually(async () => !(await keySet(app)).some(key => key.kid === old.kid), 30), 'the old key leaves')
  t.equal((await keySet(app)).length, 1)
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 401, 'its token is long expired')
})

t.test('JWT_PRIVATE_KEY signs without being stored; a new one takes over and the old one stays published', async t => {
  const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => key.export({ format: 'pem', type: 'pkcs8' }) as string
  const first = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  const database = (await sharedDatabase(t))
  // As many .env files hold it: one line, with \n written out.
  const app = await build(t, { ...database, JWT_SECRET: '', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: first.replaceAll('\n', '\\n') })
  const [key] = await keySet(app) as [Jwk]
  const { accessToken } = await register(app)
  t.equal(decodeProtectedHeader(accessToken).kid, key.kid)
  const stored = await query(app)`SELECT private_key FROM signing_keys`
  t.strictSame(stored, [{ private_key: null }], 'the given key is never written to the database')
  t.equal((await cli(['rotate-keys'], { ...database, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: first })).code, 2, 'rotate-keys refuses: the key is the operator\'s')
  await app.close()

  const second = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  const restarted = await build(t, { ...database, JWT_SECRET: '', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: second })
  const kids = (await keySet(restarted)).map(jwk => jwk.kid)
  t.equal(kids.length, 2)
  t.ok(kids.includes(key.kid), 'the previous key stays published')
  t.equal((await restarted.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200, 'its token keeps working')
  const { accessToken: next } = await register(restarted)
  t.not(decodeProtectedHeader(next).kid, key.kid, 'new tokens are signed with the new key')
  t.ok(kids.includes(decodeProtectedHeader(next).kid as string))
})

t.test('rotate-keys explains itself when there is nothing to rotate', async t => {
  const result = await cli(['rotate-keys'], { ...(await sharedDatabase(t)), JWT_ALGORITHM: 'HS256' })
  t.equal(result.code, 2)
  t.match(result.stderr, /rotate-keys needs JWT_ALGORITHM EdDSA, ES256 or RS256/)
})

t.test('after a change of JWT_ALGORITHM, tokens of the previous algorithm verify until they expire', async t => {
  const database = (await sharedDatabase(t))
  const first = await build(t, { ...database, ...ASYMMETRIC })
  const { accessToken } = await register(first)
  await first.close()
  const second = await build(t, { ...database, ...ASYMMETRIC, JWT_ALGORITHM: 'ES256' })
  t.same((await keySet(second)).map(key => key.alg).sort(), ['ES256', 'EdDSA'], 'both keys published')
  t.equal((await second.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200, 'the EdDSA token still passes')
  const { accessToken: next } = await register(second)
  t.equal(decodeProtectedHeader(next).alg, 'ES256', 'new tokens use the new algorithm')
})

t.test('during a rolling change of JWT_PRIVATE_KEY, an instance still on the old key keeps accepting its own tokens', async t => {
  const pem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const env = { ...(await sharedDatabase(t)), ...ASYMMETRIC, ACCESS_TOKEN_TTL: '1s' }
  const old = await build(t, { ...env, JWT_PRIVATE_KEY: pem() })
  const [oldKey] = await keySet(old) as [Jwk]
  const updated = await build(t, { ...env, JWT_PRIVATE_KEY: pem() })
  // The new instance retired the old key; once its tokens could have expired, it leaves the shared set.
  t.ok(await eventually(async () => !(await keySet(updated)).some(key => key.kid === oldKey.kid), 30), 'the old key leaves the new instance\'s set')
  const { accessToken } = await register(old)
  t.equal(decodeProtectedHeader(accessToken).kid, oldKey.kid, 'the old instance still signs with its configured key')
  t.equal((await old.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200, 'and accepts what it signs')
})
