/**
 * What the service's configuration holds, and the values some settings may take; `loadConfig` (config.ts)
 * reads and checks it, once.
 */
import type { Buffer } from 'node:buffer'
import type { PasskeyConfig } from './passkeys/config.js'
import type { RateLimit } from './env.js'
import type { JwtAlgorithm } from './tokens/keys.js'

/** The older APIs the service can stand in for, each by its clients' own contract (see docs/migrating.md). */
export const COMPAT_PROFILES = ['simplejwt', 'flask', 'insighted', 'spring', 'nestjs'] as const
export type CompatProfile = typeof COMPAT_PROFILES[number]

/** Profiles whose clients call paths under /auth: there, the service's own API moves to NATIVE_AUTH_PREFIX. */
export const PROFILES_ON_AUTH: readonly CompatProfile[] = ['spring', 'nestjs']
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
  /** Passkeys' relying party, and the mobile apps that share its passkeys. */
  passkeys: PasskeyConfig
}
