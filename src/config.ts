/** The service's configuration: read from the environment once, validated, and frozen. */
import { Buffer } from 'node:buffer'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import { ADMIN_ROLE, ROLE_PATTERN } from '../schemas/common.js'
import { isPostgresUrl } from './db/url.js'
import {
  type CompatProfile, COMPAT_PROFILES, type Config, EMAIL_VERIFICATION_MODES, NATIVE_AUTH_PREFIX, PASSWORD_BREACH_CHECKS,
  PROFILES_ON_AUTH
} from './config-shape.js'
import { EnvReader } from './env.js'
import { readPasskeyConfig } from './passkeys/config.js'
import {
  type AsymmetricAlgorithm, JWT_ALGORITHMS, type JwtAlgorithm, keyMismatch, parsePrivateKey
} from './tokens/keys.js'

export {
  COMPAT_PROFILES, type CompatProfile, type Config, EMAIL_VERIFICATION_MODES, NATIVE_AUTH_PREFIX,
  PASSWORD_BREACH_CHECKS
} from './config-shape.js'

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
  const publicUrl = httpUrl('PUBLIC_URL', `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`)
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
    },
    passkeys: readPasskeyConfig(env, publicUrl)
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
