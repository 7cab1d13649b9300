/** The service's configuration: read from the environment once, validated, and frozen. */
import { Buffer } from 'node:buffer'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import { ADMIN_ROLE, ROLE_PATTERN } from '../schemas/common.js'
import { isPostgresUrl } from './db/url.js'
import { EnvReader, type RateLimit } from './env.js'
import {
  type AsymmetricAlgorithm, JWT_ALGORITHMS, type JwtAlgorithm, keyMismatch, parsePrivateKey
} from './tokens/keys.js'

/** The older APIs the service can stand in for, each by its clients' own contract (see docs/migrating.md). */
export const COMPAT_PROFILES = ['simplejwt', 'flask', 'insighted', 'spring', 'nestjs'] as const
export type CompatProfile = typeof COMPAT_PROFILES[number]

/** Profiles whose clients call paths under /auth: there, the service's own API moves to NATIVE_AUTH_PREFIX. */
const PROFILES_ON_AUTH: readonly CompatProfile[] = ['spring', 'nestjs']
export const NATIVE_AUTH_PREFIX = '/native/auth'

export const EMAIL_VERIFICATION_MODES = ['optional', 'required', 'off'] as const
export const PASSWORD_BREACH_CHECKS = ['off', 'hibp'] as const

export interface Config {
  port: number
  host: string
  /** SQLite file path, `:memory:`, or a postgres:// URL. */
  databaseUrl: string
  /** PostgreSQL: connections each instance may hold open. */
  databasePoolSize: number
  /** HS256 (one secret) or an asymmetric algorithm whose public keys are published as a JWKS. */
  jwtAlgorithm: JwtAlgorithm
  /** HS256: undefined when the secret is to be generated and kept in the database. */
  jwtSecret?: string
  /** Asymmetric: a PEM private key; undefined when keys are generated and kept in the database. */
  jwtPrivateKey?: string
  jwtIssuer?: string
  jwtAudience?: string
  /** Seconds. */
  accessTokenTtl: number
  /** Seconds. */
  refreshTokenTtl: number
  /** Seconds a session may live from login, however often it is refreshed. */
  sessionMaxAge: number
  /** Seconds after a refresh during which the spent token may be presented again (0: never). */
  refreshReuseGrace: number
  /** Failed logins of one identifier before it must wait. */
  loginMaxFailures: number
  /** Seconds after the last failure when an identifier's failures are forgotten. */
  loginFailureWindow: number
  bcryptCost: number
  /** Threads that hash passwords. */
  hashWorkers: number
  /** Hash jobs that may wait for a thread before register and login are shed with 503. */
  hashQueueMax: number
  passwordMinLength: number
  signupRoles: readonly string[]
  logLevel: string
  /** Seconds a client has to send a whole request, headers and body. */
  requestTimeout: number
  rateLimit: {
    enabled: boolean
    global: RateLimit
    signup: RateLimit
    login: RateLimit
    refresh: RateLimit
    password: RateLimit
    /** Requests that send mail (verification, reset, email change), per client IP. */
    email: RateLimit
    /** New accounts per window for the whole service, whatever their addresses. */
    signupCapacity: RateLimit
  }
  /** Proxies whose X-Forwarded-For is believed; false: the socket's address is the client. */
  trustProxy: false | string[]
  /** Seconds audit events are kept before `prune` deletes them. */
  auditRetention: number
  /** Web origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins: readonly string[]
  /** Redis for the limits shared by every instance; undefined: they are kept in memory. */
  redisUrl?: string
  /** Prepended to every Redis key, so that several services (or test runs) can share one Redis. */
  redisPrefix: string
  /** The older API whose clients this deployment serves unchanged; undefined: none. */
  compatProfile?: CompatProfile
  /** Where the service's own account and token API is mounted: /auth, unless the profile's clients own it. */
  authPrefix: string
  /** The service's public base URL (no trailing slash), for the links in mail: never a request's Host. */
  publicUrl: string
  mail: {
    /** The SMTP server; undefined: messages are written as .eml files to `dir`. Holds a password: never logged. */
    smtpUrl?: string
    from: string
    dir: string
    /** Where an operator's templates replace the service's own, file by file. */
    templatesDir?: string
    /** Messages the service sends per window, whatever their addresses. */
    capacity: RateLimit
  }
  email: {
    /** optional: unverified users may log in; required: not before they verify; off: no verification mail. */
    verification: typeof EMAIL_VERIFICATION_MODES[number]
    /** Seconds a password-reset or email-change code lives. */
    codeTtl: number
    /** Seconds an email-verification code lives. */
    verificationTtl: number
  }
  passwords: {
    /** `hibp`: new passwords are also looked up in Have I Been Pwned's range API; off by default. */
    breachCheck: typeof PASSWORD_BREACH_CHECKS[number]
    /** The range API's base URL (tests point it at a local server). */
    breachCheckUrl: string
  }
  /** Prometheus metrics on a port of their own, never the API's; undefined: no metrics are served. */
  metrics?: { port: number, host: string }
  mfa: {
    /** The issuer authenticator apps show beside the account. */
    issuer: string
    /**
     * 32 bytes that encrypt TOTP secrets at rest; undefined: a key is generated and kept in the database.
     * Never logged.
     */
    encryptionKey?: Buffer
  }
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads the configuration from `env`, reporting all problems together so one start-up tells everything to fix. */
export function loadConfig (source: NodeJS.ProcessEnv = process.env): Config {
  const env = new EnvReader(source)
  const { problems } = env
  const { read, integer, duration, boolean, rate, optional } = env

  // Used exactly as given (no trimming): a secret is bytes, and a space in it is meant.
  const jwtSecret = source.JWT_SECRET === '' ? undefined : source.JWT_SECRET
  if (jwtSecret !== undefined && (Buffer.byteLength(jwtSecret) < 32 || jwtSecret.trim() === '')) {
    problems.push(
      'JWT_SECRET must be at least 32 bytes long (a 256-bit secret), not blank; ' +
      'leave it unset to have one generated and kept in the database'
    )
  }

  const jwtAlgorithm = (read('JWT_ALGORITHM')?.trim() ?? 'HS256') as JwtAlgorithm
  if (!JWT_ALGORITHMS.includes(jwtAlgorithm)) {
    problems.push(`JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')} (got "${jwtAlgorithm}")`)
  }
  const jwtPrivateKey = read('JWT_PRIVATE_KEY')
  if (jwtAlgorithm === 'HS256' && jwtPrivateKey !== undefined) {
    problems.push('JWT_PRIVATE_KEY is for JWT_ALGORITHM EdDSA, ES256 or RS256; HS256 signs with JWT_SECRET')
  }
  if (jwtAlgorithm !== 'HS256' && JWT_ALGORITHMS.includes(jwtAlgorithm)) {
    if (jwtSecret !== undefined) {
      problems.push(
        `JWT_SECRET is for HS256; with ${jwtAlgorithm}, leave it unset (keys are generated) or give JWT_PRIVATE_KEY`
      )
    }
    if (jwtPrivateKey !== undefined) {
      let mismatch: string | undefined
      try {
        mismatch = keyMismatch(jwtAlgorithm as AsymmetricAlgorithm, parsePrivateKey(jwtPrivateKey))
      } catch {
        mismatch = 'a PEM private key (-----BEGIN PRIVATE KEY----- …)'
      }
      // The key itself is never echoed back: it is a secret.
      if (mismatch !== undefined) problems.push(`JWT_PRIVATE_KEY must be ${mismatch} for ${jwtAlgorithm}`)
    }
  }

  const databaseUrl = read('DATABASE_URL')?.trim() ?? './data/auth.db'
  // Any other URL scheme (file:, sqlite:, mysql:) is refused rather than taken for a file name;
  // one letter and a colon is a Windows drive.
  if (isPostgresUrl(databaseUrl)) {
    // A PostgreSQL URL may hold a password: it is never echoed back.
    if (!URL.canParse(databaseUrl) || new URL(databaseUrl).hostname === '') {
      problems.push(
        'DATABASE_URL must be a valid postgres://user:password@host:port/database URL (got a value of another form)'
      )
    }
  } else if (/^[a-z][a-z0-9+.-]+:/i.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be a SQLite file path, :memory:, or a postgres:// URL (got "${databaseUrl}")`)
  }

  const logLevel = read('LOG_LEVEL')?.trim().toLowerCase() ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`)
  }

  const compatText = read('COMPAT_PROFILE')?.trim().toLowerCase()
  const compatProfile = compatText === undefined || compatText === 'none' ? undefined : compatText as CompatProfile
  if (compatProfile !== undefined && !COMPAT_PROFILES.includes(compatProfile)) {
    problems.push(`COMPAT_PROFILE must be none or one of ${COMPAT_PROFILES.join(', ')} (got "${compatText}")`)
  }

  // The LMS signs up students and instructors; its admins are made otherwise.
  const defaultRoles = compatProfile === 'insighted' ? 'student,instructor' : 'user'
  const signupRoles = (read('SIGNUP_ROLES') ?? defaultRoles).split(',').map(role => role.trim()).filter(role => role !== '')
  if (signupRoles.length === 0) {
    problems.push('SIGNUP_ROLES must name at least one role')
  }
  for (const role of signupRoles) {
    if (!ROLE_PATTERN.test(role)) {
      problems.push(`SIGNUP_ROLES: "${role}" is not a valid role name (lowercase letters, digits, _ and -, at most 32)`)
    } else if (role === ADMIN_ROLE) {
      problems.push('SIGNUP_ROLES must not contain admin: admin accounts are created with the CLI, never by signup')
    }
  }

  const trustProxy = env.proxies('TRUST_PROXY')
  const corsOrigins = env.origins('CORS_ORIGINS')

  const redisUrl = read('REDIS_URL')?.trim()
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    problems.push(
      'REDIS_URL must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379/0 (got a value of another form)'
    )
  }
  const redisPrefix = read('REDIS_PREFIX')?.trim() ?? 'auth:'
  if (!/^[\w:.-]{1,64}$/.test(redisPrefix)) {
    problems.push(`REDIS_PREFIX must be 1–64 letters, digits, _, :, . or - (got "${redisPrefix}")`)
  }

  const port = integer('PORT', 3000, 0, 65535)
  const host = read('HOST')?.trim() ?? '127.0.0.1'
  const publicUrl = (read('PUBLIC_URL')?.trim() ?? `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`)
    .replace(/\/+$/, '')
  if (!URL.canParse(publicUrl) || !/^https?:$/.test(new URL(publicUrl).protocol) ||
    new URL(publicUrl).search !== '' || new URL(publicUrl).hash !== '') {
    problems.push(`PUBLIC_URL must be an http:// or https:// URL without a query or fragment (got "${publicUrl}")`)
  }
  const smtpUrl = read('SMTP_URL')?.trim()
  if (smtpUrl !== undefined && read('PUBLIC_URL') === undefined && ['0.0.0.0', '::'].includes(host)) {
    problems.push(
      `PUBLIC_URL must be set when SMTP_URL delivers mail and HOST is ${host}: the links in messages would ` +
      `point to ${publicUrl}`
    )
  }
  if (smtpUrl !== undefined && (!URL.canParse(smtpUrl) || !/^smtps?:$/.test(new URL(smtpUrl).protocol))) {
    // The URL may hold a password: it is never echoed back.
    problems.push('SMTP_URL must be an smtp:// or smtps:// URL, such as smtp://user:password@smtp.example.com:587')
  }
  const mailFrom = read('MAIL_FROM')?.trim() ?? 'Auth <no-reply@localhost>'
  if (!/^(?:[^<>\r\n]{0,100}<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(mailFrom)) {
    problems.push(`MAIL_FROM must be an address, or a name and <address> (got "${mailFrom}")`)
  }

  /** An http(s) base URL without a query, fragment or trailing slash. */
  function httpUrl (name: string, fallback: string): string {
    const value = (read(name)?.trim() ?? fallback).replace(/\/+$/, '')
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol) ||
      new URL(value).search !== '' || new URL(value).hash !== '') {
      problems.push(`${name} must be an http:// or https:// URL without a query or fragment (got "${value}")`)
    }
    return value
  }

  /** MFA_ISSUER: the otpauth URI's label is `issuer:account`, so the issuer may not hold a colon. */
  function mfaIssuer (): string {
    const issuer = optional('MFA_ISSUER', 64) ?? 'Auth'
    if (issuer.includes(':')) problems.push(`MFA_ISSUER must not contain ":" (got "${issuer}")`)
    return issuer
  }

  /** ENCRYPTION_KEY: 32 bytes as base64 (43 or 44 characters) or hex (64); the value is never echoed back. */
  function encryptionKey (): Buffer | undefined {
    const value = read('ENCRYPTION_KEY')?.trim()
    if (value === undefined) return undefined
    const key = /^[0-9a-f]{64}$/i.test(value)
      ? Buffer.from(value, 'hex')
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? Buffer.from(value, 'base64') : undefined
    if (key?.length !== 32) {
      problems.push('ENCRYPTION_KEY must be 32 bytes as 64 hex digits or 44 base64 characters ' +
        '(such as the output of `openssl rand -base64 32`)')
      return undefined
    }
    return key
  }

  const hashWorkers = integer('HASH_WORKERS', availableParallelism(), 1, 64)
  const config: Config = {
    port,
    host,
    databaseUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
    jwtAlgorithm,
    jwtSecret,
    jwtPrivateKey,
    jwtIssuer: optional('JWT_ISSUER', 256),
    jwtAudience: optional('JWT_AUDIENCE', 256),
    accessTokenTtl: duration('ACCESS_TOKEN_TTL', '15m'),
    refreshTokenTtl: duration('REFRESH_TOKEN_TTL', '7d'),
    sessionMaxAge: duration('SESSION_MAX_AGE', '30d'),
    refreshReuseGrace: duration('REFRESH_REUSE_GRACE', '10s', true),
    loginMaxFailures: integer('LOGIN_MAX_FAILURES', 5, 1, 100),
    loginFailureWindow: duration('LOGIN_FAILURE_WINDOW', '15m'),
    bcryptCost: integer('BCRYPT_COST', 10, 10, 15),
    hashWorkers,
    hashQueueMax: integer('HASH_QUEUE_MAX', 8 * hashWorkers, 1, 100_000),
    passwordMinLength: integer('PASSWORD_MIN_LENGTH', 12, 8, 64),
    signupRoles: Object.freeze([...new Set(signupRoles)]),
    logLevel,
    rateLimit: {
      enabled: boolean('RATE_LIMIT_ENABLED', true),
      global: rate('RATE_LIMIT_GLOBAL', '300/1m'),
      signup: rate('RATE_LIMIT_SIGNUP', '5/1m'),
      login: rate('RATE_LIMIT_LOGIN', '10/1m'),
      refresh: rate('RATE_LIMIT_REFRESH', '30/1m'),
      password: rate('RATE_LIMIT_PASSWORD', '5/1m'),
      email: rate('RATE_LIMIT_EMAIL', '5/1m'),
      signupCapacity: rate('SIGNUP_CAPACITY', '60/1m')
    },
    trustProxy,
    auditRetention: duration('AUDIT_RETENTION', '90d'),
    requestTimeout: duration('REQUEST_TIMEOUT', '30s'),
    corsOrigins: Object.freeze(corsOrigins),
    redisUrl,
    redisPrefix,
    compatProfile,
    authPrefix: compatProfile !== undefined && PROFILES_ON_AUTH.includes(compatProfile) ? NATIVE_AUTH_PREFIX : '/auth',
    publicUrl,
    mail: {
      smtpUrl,
      from: mailFrom,
      dir: read('MAIL_DIR')?.trim() ?? './data/mail',
      templatesDir: read('MAIL_TEMPLATES_DIR')?.trim(),
      capacity: rate('MAIL_CAPACITY', '200/1h')
    },
    email: {
      verification: env.choice('EMAIL_VERIFICATION', EMAIL_VERIFICATION_MODES, 'optional'),
      codeTtl: duration('EMAIL_CODE_TTL', '1h'),
      verificationTtl: duration('EMAIL_VERIFICATION_TTL', '24h')
    },
    passwords: {
      breachCheck: env.choice('PASSWORD_BREACH_CHECK', PASSWORD_BREACH_CHECKS, 'off'),
      breachCheckUrl: httpUrl('PASSWORD_BREACH_CHECK_URL', 'https://api.pwnedpasswords.com')
    },
    // 0: a free port the system picks (as for PORT), logged at start-up: for tests.
    metrics: source.METRICS_PORT === undefined || source.METRICS_PORT === ''
      ? undefined
      : { port: integer('METRICS_PORT', 9464, 0, 65535), host: read('METRICS_HOST')?.trim() ?? '127.0.0.1' },
    mfa: {
      issuer: mfaIssuer(),
      encryptionKey: encryptionKey()
    }
  }

  if (config.email.verification === 'required' && compatProfile !== undefined) {
    problems.push(
      'EMAIL_VERIFICATION=required cannot be used with COMPAT_PROFILE: the older APIs\' clients have no way to ' +
      'verify an address, so their users could never log in'
    )
  }

  if (config.metrics !== undefined && config.metrics.port !== 0 && config.metrics.port === port) {
    problems.push(`METRICS_PORT must differ from PORT (${port}): the metrics are served apart from the API`)
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}
