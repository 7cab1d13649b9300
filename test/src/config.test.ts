import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { availableParallelism } from 'node:os'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { parseDuration, parseRate } from '../../src/env.js'

t.test('a compatibility profile: the API it moves, and the roles the LMS signs up', async t => {
  t.match(loadConfig({}), { compatProfile: undefined, authPrefix: '/auth' })
  t.match(loadConfig({ COMPAT_PROFILE: 'none' }), { compatProfile: undefined, authPrefix: '/auth' })
  for (const profile of ['simplejwt', 'flask', 'insighted']) {
    t.match(loadConfig({ COMPAT_PROFILE: profile }), { compatProfile: profile, authPrefix: '/auth' }, profile)
  }
  for (const profile of ['spring', 'nestjs']) {
    t.match(loadConfig({ COMPAT_PROFILE: ` ${profile.toUpperCase()} ` }), { compatProfile: profile, authPrefix: '/native/auth' })
  }
  t.same(loadConfig({ COMPAT_PROFILE: 'insighted' }).signupRoles, ['student', 'instructor'])
  t.same(loadConfig({ COMPAT_PROFILE: 'insighted', SIGNUP_ROLES: 'student' }).signupRoles, ['student'])
})

t.test('mail: links from PUBLIC_URL (by default the address listened on), files without SMTP_URL', async t => {
  t.match(loadConfig({}), {
    publicUrl: 'http://127.0.0.1:3000',
    mail: { smtpUrl: undefined, from: 'Auth <no-reply@localhost>', dir: './data/mail', capacity: { max: 200, windowMs: 3_600_000 } },
    email: { verification: 'optional', codeTtl: 3600, verificationTtl: 86400 },
    rateLimit: { email: { max: 5, windowMs: 60_000 } }
  })
  t.equal(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl, 'http://[::1]:8080')
  t.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl, 'https://auth.example.com', 'no trailing slash')
  t.equal(loadConfig({ HOST: '0.0.0.0', SMTP_URL: 'smtp://mail.example.com', PUBLIC_URL: 'https://auth.example.com' }).publicUrl,
    'https://auth.example.com', 'on every interface, with mail delivered, PUBLIC_URL says where users reach it')
  t.match(loadConfig({ SMTP_URL: 'smtps://u:p@smtp.example.com:465', EMAIL_VERIFICATION: 'Required' }), {
    mail: { smtpUrl: 'smtps://u:p@smtp.example.com:465' }, email: { verification: 'required' }
  })
})

t.test('defaults need no environment at all', async t => {
  t.match(loadConfig({}), {
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: './data/auth.db',
    databasePoolSize: 10,
    jwtSecret: undefined,
    jwtIssuer: undefined,
    jwtAudience: undefined,
    accessTokenTtl: 900,
    refreshTokenTtl: 7 * 86400,
    sessionMaxAge: 30 * 86400,
    refreshReuseGrace: 10,
    loginMaxFailures: 5,
    loginFailureWindow: 900,
    bcryptCost: 10,
    hashWorkers: availableParallelism(),
    hashQueueMax: 8 * availableParallelism(),
    passwordMinLength: 12,
    signupRoles: ['user'],
    logLevel: 'info',
    rateLimit: {
      enabled: true,
      global: { max: 300, windowMs: 60_000 },
      signup: { max: 5, windowMs: 60_000 },
      login: { max: 10, windowMs: 60_000 },
      refresh: { max: 30, windowMs: 60_000 },
      password: { max: 5, windowMs: 60_000 },
      signupCapacity: { max: 60, windowMs: 60_000 }
    },
    trustProxy: false,
    auditRetention: 90 * 86400,
    requestTimeout: 30,
    corsOrigins: []
  })
})

t.test('REQUEST_TIMEOUT is a duration of at least a second', async t => {
  t.equal(loadConfig({ REQUEST_TIMEOUT: '5s' }).requestTimeout, 5)
  for (const bad of ['0', 'forever', '-1s']) {
    t.throws(() => loadConfig({ REQUEST_TIMEOUT: bad }), /REQUEST_TIMEOUT must be a duration/, bad)
  }
})

t.test('CORS_ORIGINS takes a list of origins and refuses URLs that are not plain origins', async t => {
  t.strictSame(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins, ['https://app.example.com', 'http://localhost:5173'])
  for (const bad of ['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://files.example.com']) {
    t.throws(() => loadConfig({ CORS_ORIGINS: bad }), /CORS_ORIGINS must be a comma list of origins/, bad)
  }
})

t.test('TRUST_PROXY takes a list of addresses and CIDRs, and refuses anything else', async t => {
  t.strictSame(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1, fd00::/8' }).trustProxy, ['10.0.0.1', '10.1.0.0/16', '::1', 'fd00::/8'])
  t.equal(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false)
  for (const bad of ['true', '*', 'proxy.example.com', '10.0.0.1/33', '10.0.0.0/8/1', '::1/129', '0.0.0.0/0', '::/0']) {
    t.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY must be off or a comma list/, bad)
  }
})

t.test('every variable is read', async t => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATABASE_URL: ':memory:',
    DATABASE_POOL_SIZE: '25',
    JWT_SECRET: 'x'.repeat(32),
    JWT_ISSUER: 'https://auth.example.com',
    JWT_AUDIENCE: 'api',
    ACCESS_TOKEN_TTL: '90s',
    REFRESH_TOKEN_TTL: '2h',
    SESSION_MAX_AGE: '14d',
    REFRESH_REUSE_GRACE: '0',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_FAILURE_WINDOW: '1h',
    BCRYPT_COST: '12',
    HASH_WORKERS: '3',
    PASSWORD_MIN_LENGTH: '16',
    SIGNUP_ROLES: ' student , instructor,student',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: 'false',
    RATE_LIMIT_GLOBAL: '1000/1h',
    RATE_LIMIT_SIGNUP: '3 / 30s',
    RATE_LIMIT_LOGIN: '20/5m'
  })
  t.match(config, {
    port: 8080,
    host: '0.0.0.0',
    databaseUrl: ':memory:',
    databasePoolSize: 25,
    jwtSecret: 'x'.repeat(32),
    jwtIssuer: 'https://auth.example.com',
    jwtAudience: 'api',
    accessTokenTtl: 90,
    refreshTokenTtl: 7200,
    sessionMaxAge: 14 * 86400,
    refreshReuseGrace: 0,
    loginMaxFailures: 3,
    loginFailureWindow: 3600,
    bcryptCost: 12,
    hashWorkers: 3,
    hashQueueMax: 24,
    passwordMinLength: 16,
    signupRoles: ['student', 'instructor'],
    logLevel: 'warn',
    rateLimit: {
      enabled: false,
      global: { max: 1000, windowMs: 3_600_000 },
      signup: { max: 3, windowMs: 30_000 },
      login: { max: 20, windowMs: 300_000 }
    }
  })
  t.ok(Object.isFrozen(config))
})

t.test('METRICS_PORT serves metrics on a port of their own (0: a free one); unset, none are served', async t => {
  t.equal(loadConfig({}).metrics, undefined)
  t.equal(loadConfig({ METRICS_PORT: '' }).metrics, undefined)
  t.strictSame(loadConfig({ METRICS_PORT: '9464' }).metrics, { port: 9464, host: '127.0.0.1' })
  t.strictSame(loadConfig({ METRICS_PORT: '0', METRICS_HOST: ' 0.0.0.0 ' }).metrics, { port: 0, host: '0.0.0.0' })
  t.strictSame(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metrics, { port: 0, host: '127.0.0.1' }, 'two free ports')
})

t.test('values are trimmed and case-folded where that cannot change their meaning', async t => {
  const config = loadConfig({ JWT_ISSUER: ' https://auth.example.com ', JWT_AUDIENCE: ' api\n', LOG_LEVEL: 'WARN', DATABASE_URL: 'C:\\data\\auth.db' })
  t.equal(config.jwtIssuer, 'https://auth.example.com')
  t.equal(config.jwtAudience, 'api')
  t.equal(config.logLevel, 'warn')
  t.equal(config.databaseUrl, 'C:\\data\\auth.db', 'a Windows drive letter is a path')
})

t.test('durations accept seconds, minutes, hours, days and plain seconds', async t => {
  t.equal(parseDuration('90s'), 90)
  t.equal(parseDuration('15m'), 900)
  t.equal(parseDuration('2h'), 7200)
  t.equal(parseDuration('7d'), 604800)
  t.equal(parseDuration('600'), 600)
  for (const bad of ['', '0', '-5', '1.5h', '10w', 'm', '15 minutes', '366d']) t.equal(parseDuration(bad), undefined, bad)
  t.strictSame(parseRate('10/1m'), { max: 10, windowMs: 60_000 })
  for (const bad of ['10', '/1m', '0/1m', '10/0', 'ten/1m', '10/1w']) t.equal(parseRate(bad), undefined, bad)
})

const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }) as string
const ed25519 = pem(generateKeyPairSync('ed25519').privateKey)
const p256 = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
const rsa1024 = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)

t.test('REDIS_URL moves the shared limits to Redis, under REDIS_PREFIX', async t => {
  t.match(loadConfig({}), { redisUrl: undefined, redisPrefix: 'auth:' })
  t.match(loadConfig({ REDIS_URL: 'rediss://user:pw@cache.internal:6380/2', REDIS_PREFIX: 'auth-eu:' }), { redisUrl: 'rediss://user:pw@cache.internal:6380/2', redisPrefix: 'auth-eu:' })
  try {
    loadConfig({ REDIS_URL: 'cache.internal:secret' })
    t.fail('should throw')
  } catch (error) {
    t.match((error as Error).message, /REDIS_URL must be/)
    t.notMatch((error as Error).message, /secret/, 'a bad URL is not echoed: it may hold a password')
  }
})

t.test('DATABASE_URL=postgres:// selects PostgreSQL; a malformed one is refused without being echoed', async t => {
  t.equal(loadConfig({ DATABASE_URL: 'postgres://auth:pw@db.internal:5432/auth?sslmode=require' }).databaseUrl, 'postgres://auth:pw@db.internal:5432/auth?sslmode=require')
  t.equal(loadConfig({ DATABASE_URL: ' postgresql://db.internal/auth ' }).databaseUrl, 'postgresql://db.internal/auth')
  for (const url of ['postgres://', 'postgres://auth:se cret@db internal/auth']) {
    try {
      loadConfig({ DATABASE_URL: url })
      t.fail('should throw')
    } catch (error) {
      t.match((error as Error).message, /DATABASE_URL must be a valid postgres:\/\/user:password@host:port\/database URL/, url)
      t.notMatch((error as Error).message, /se cret|postgres:\/\/ /, 'a bad URL is not echoed: it may hold a password')
    }
  }
})

t.test('JWT_ALGORITHM selects the signing algorithm; JWT_PRIVATE_KEY gives its key', async t => {
  t.equal(loadConfig({}).jwtAlgorithm, 'HS256')
  t.match(loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: p256 }), { jwtAlgorithm: 'ES256', jwtPrivateKey: p256, jwtSecret: undefined })
  t.match(loadConfig({ JWT_ALGORITHM: 'EdDSA' }), { jwtAlgorithm: 'EdDSA', jwtPrivateKey: undefined })
  try {
    loadConfig({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: p256 })
    t.fail('should throw')
  } catch (error) {
    t.notMatch((error as Error).message, /BEGIN|MI/, 'the key is not echoed back')
  }
})

t.test('each bad variable is named, and all are reported at once', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: '70000' }, /PORT must be a whole number from 0 to 65535/],
    [{ PORT: 'http' }, /PORT must be a whole number/],
    [{ JWT_SECRET: 'too short' }, /JWT_SECRET must be at least 32 bytes/],
    [{ JWT_SECRET: ' '.repeat(40) }, /JWT_SECRET must be at least 32 bytes long \(a 256-bit secret\), not blank/],
    [{ ACCESS_TOKEN_TTL: '15 minutes' }, /ACCESS_TOKEN_TTL must be a duration/],
    [{ REFRESH_TOKEN_TTL: '0' }, /REFRESH_TOKEN_TTL must be a duration/],
    [{ SESSION_MAX_AGE: 'forever' }, /SESSION_MAX_AGE must be a duration/],
    [{ SESSION_MAX_AGE: '0' }, /SESSION_MAX_AGE must be a duration/],
    [{ LOGIN_MAX_FAILURES: '0' }, /LOGIN_MAX_FAILURES must be a whole number from 1 to 100/],
    [{ LOGIN_FAILURE_WINDOW: 'soon' }, /LOGIN_FAILURE_WINDOW must be a duration/],
    [{ REFRESH_REUSE_GRACE: '-1' }, /REFRESH_REUSE_GRACE must be a duration .*\(0 allowed\)/],
    [{ BCRYPT_COST: '9' }, /BCRYPT_COST must be a whole number from 10 to 15/],
    [{ BCRYPT_COST: '16' }, /BCRYPT_COST must be a whole number from 10 to 15/],
    [{ HASH_WORKERS: '0' }, /HASH_WORKERS must be a whole number from 1 to 64/],
    [{ DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE must be a whole number from 1 to 1000/],
    [{ HASH_QUEUE_MAX: '0' }, /HASH_QUEUE_MAX must be a whole number from 1 to 100000/],
    [{ PASSWORD_MIN_LENGTH: '4' }, /PASSWORD_MIN_LENGTH must be a whole number from 8 to 64/],
    [{ SIGNUP_ROLES: 'user,admin' }, /SIGNUP_ROLES must not contain admin/],
    [{ SIGNUP_ROLES: 'User' }, /SIGNUP_ROLES: "User" is not a valid role name/],
    [{ SIGNUP_ROLES: ' , ' }, /SIGNUP_ROLES must name at least one role/],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of/],
    [{ PUBLIC_URL: 'ftp://auth.example.com' }, /PUBLIC_URL must be an http:\/\/ or https:\/\/ URL/],
    [{ PUBLIC_URL: 'https://auth.example.com/?next=1' }, /PUBLIC_URL must be an http:\/\/ or https:\/\/ URL without a query/],
    [{ SMTP_URL: 'http://user:secret@mail.example.com' }, /^(?![\s\S]*secret)[\s\S]*SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ SMTP_URL: 'smtp://mail.example.com', HOST: '0.0.0.0' }, /PUBLIC_URL must be set when SMTP_URL delivers mail and HOST is 0\.0\.0\.0: the links in messages would point to http:\/\/0\.0\.0\.0:3000/],
    [{ MAIL_FROM: 'Auth <no-reply>' }, /MAIL_FROM must be an address, or a name and <address>/],
    [{ EMAIL_VERIFICATION: 'sometimes' }, /EMAIL_VERIFICATION must be one of optional, required, off \(got "sometimes"\)/],
    [{ EMAIL_CODE_TTL: 'soon' }, /EMAIL_CODE_TTL must be a duration/],
    [{ MAIL_CAPACITY: 'many' }, /MAIL_CAPACITY must look like MAX\/WINDOW/],
    [{ RATE_LIMIT_EMAIL: '5' }, /RATE_LIMIT_EMAIL must look like MAX\/WINDOW/],
    [{ COMPAT_PROFILE: 'django' }, /COMPAT_PROFILE must be none or one of simplejwt, flask, insighted, spring, nestjs \(got "django"\)/],
    [{ DATABASE_URL: 'file:/tmp/auth.db' }, /DATABASE_URL must be a SQLite file path, :memory:, or a postgres:\/\/ URL/],
    [{ DATABASE_URL: 'mysql://db.internal/auth' }, /DATABASE_URL must be a SQLite file path, :memory:, or a postgres:\/\/ URL/],
    [{ METRICS_PORT: '70000' }, /METRICS_PORT must be a whole number from 0 to 65535/],
    [{ METRICS_PORT: '3000' }, /METRICS_PORT must differ from PORT \(3000\)/],
    [{ RATE_LIMIT_ENABLED: 'maybe' }, /RATE_LIMIT_ENABLED must be true or false/],
    [{ RATE_LIMIT_LOGIN: '10 per minute' }, /RATE_LIMIT_LOGIN must look like MAX\/WINDOW/],
    [{ RATE_LIMIT_REFRESH: '0/1m' }, /RATE_LIMIT_REFRESH must look like MAX\/WINDOW/],
    [{ RATE_LIMIT_PASSWORD: '5' }, /RATE_LIMIT_PASSWORD must look like MAX\/WINDOW/],
    [{ SIGNUP_CAPACITY: 'lots' }, /SIGNUP_CAPACITY must look like MAX\/WINDOW/],
    [{ JWT_ISSUER: 'x'.repeat(300) }, /JWT_ISSUER must be at most 256 characters/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_PREFIX: 'has space' }, /REDIS_PREFIX must be 1–64 letters/],
    [{ JWT_ALGORITHM: 'none' }, /JWT_ALGORITHM must be one of HS256, EdDSA, ES256, RS256/],
    [{ JWT_ALGORITHM: 'HS512' }, /JWT_ALGORITHM must be one of/],
    [{ JWT_PRIVATE_KEY: ed25519 }, /JWT_PRIVATE_KEY is for JWT_ALGORITHM EdDSA, ES256 or RS256/],
    [{ JWT_ALGORITHM: 'EdDSA', JWT_SECRET: 'x'.repeat(32) }, /JWT_SECRET is for HS256/],
    [{ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: p256 }, /JWT_PRIVATE_KEY must be an Ed25519 private key for EdDSA/],
    [{ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: ed25519 }, /JWT_PRIVATE_KEY must be an EC P-256 private key for ES256/],
    [{ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: rsa1024 }, /JWT_PRIVATE_KEY must be an RSA private key of at least 2048 bits for RS256/],
    [{ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: 'secret-looking-text' }, /JWT_PRIVATE_KEY must be a PEM private key/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), message, Object.keys(env).join())
  }
  try {
    loadConfig({ PORT: 'x', BCRYPT_COST: '99' })
    t.fail('should throw')
  } catch (error) {
    t.ok(error instanceof ConfigError)
    t.equal((error as ConfigError).problems.length, 2)
    t.match((error as Error).message, /PORT[\s\S]*BCRYPT_COST/)
  }
})
