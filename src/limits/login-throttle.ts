/**
 * Brute-force throttling per login identifier, across client addresses and whether or not the account
 * exists, so the answers reveal nothing. Past the limit each failure means a longer wait, but a correct
 * password after it works: an attacker can slow an account's logins but never lock its owner out.
 */
import { createHmac } from 'node:crypto'
import type { Redis } from 'ioredis'
import { TooManyAttempts } from '../errors.js'
import { shared } from './shared.js'

export interface ThrottlePolicy {
  /** Failures allowed before the identifier must wait. */
  maxFailures: number
  /** Seconds after the last failure when the count is forgotten. */
  failureWindow: number
}

interface Entry {
  failures: number
  lastFailureAt: number
  lockedUntil: number
}

/** The first wait, doubled at each further failure. */
const FIRST_DELAY_MS = 30_000
const MAX_DELAY_MS = 15 * 60_000
/** Identifiers remembered at most: a flood of made-up ones cannot grow memory without bound. */
const MAX_ENTRIES = 100_000

export interface LoginThrottle {
  /**
   * TOO_MANY_ATTEMPTS (429) while the identifier must wait; otherwise counts a failure before the password
   * is checked, so concurrent guesses cannot slip in uncounted. Resolves true when this attempt began a wait.
   */
  attempt: (identifier: string) => Promise<boolean>
  /** The attempt succeeded: the identifiers' counts start over. */
  reset: (...identifiers: string[]) => Promise<void>
  /** The clock, replaceable in tests. */
  now: () => number
}

/** The wait after `failures`, or 0 while they are within the limit. */
function delayAfter (failures: number, maxFailures: number): number {
  const excess = failures - maxFailures
  return excess < 0 ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(excess, 16))
}

/** The counts of one process: right for one instance; several instances need RedisLoginThrottle. */
export class MemoryLoginThrottle implements LoginThrottle {
  readonly #policy: ThrottlePolicy
  readonly #entries = new Map<string, Entry>()
  /** The clock, replaceable in tests. */
  now: () => number = Date.now

  constructor (policy: ThrottlePolicy) {
    this.#policy = policy
  }

  async attempt (identifier: string): Promise<boolean> {
    const now = this.now()
    let entry = this.#entries.get(identifier)
    const wait = entry === undefined ? 0 : entry.lockedUntil - now
    if (wait > 0) throw TooManyAttempts(Math.ceil(wait / 1000))
    // From the later of the last failure and the end of the wait: a wait longer than the window
    // must not wipe the count it escalates.
    if (
      entry === undefined ||
      now - Math.max(entry.lastFailureAt, entry.lockedUntil) > this.#policy.failureWindow * 1000
    ) {
      entry = { failures: 0, lastFailureAt: now, lockedUntil: 0 }
    }
    entry.failures += 1
    entry.lastFailureAt = now
    const delay = delayAfter(entry.failures, this.#policy.maxFailures)
    if (delay > 0) entry.lockedUntil = now + delay
    // Re-inserted at the end, so the Map's order is least recently failed first.
    this.#entries.delete(identifier)
    this.#entries.set(identifier, entry)
    if (this.#entries.size > MAX_ENTRIES) this.#evict(now)
    return delay > 0
  }

  async reset (...identifiers: string[]): Promise<void> {
    for (const identifier of identifiers) this.#entries.delete(identifier)
  }

  /** Forgets entries past their window, then the least recently failed ones, down to the cap. */
  #evict (now: number): void {
    for (const [identifier, entry] of this.#entries) {
      const stale = now - Math.max(entry.lastFailureAt, entry.lockedUntil) > this.#policy.failureWindow * 1000
      if (!stale && this.#entries.size <= MAX_ENTRIES * 0.9) break
      this.#entries.delete(identifier)
    }
  }
}

/**
 * One atomic read, escalation and write of an entry in Redis, on the calling instance's clock (token
 * expiry already needs synchronized clocks). Keys are HMACs, keyed from the database: Redis holds no
 * email address, nor a digest a list of candidate addresses could be checked against.
 */
const ATTEMPT_SCRIPT = `
local now = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local entry = redis.call('HMGET', KEYS[1], 'failures', 'last', 'locked')
local failures = tonumber(entry[1]) or 0
local last = tonumber(entry[2]) or 0
local locked = tonumber(entry[3]) or 0
if locked > now then return {locked - now, 0} end
if now - math.max(last, locked) > window then
  failures = 0
  locked = 0
end
failures = failures + 1
local excess = failures - maxFailures
if excess >= 0 then
  locked = now + math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(excess, 16))
end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', now, 'locked', locked)
redis.call('PEXPIRE', KEYS[1], math.max(locked, now) - now + window)
if excess >= 0 then return {0, 1} end
return {0, 0}
`

/** The same throttle with its counts in Redis, shared by every instance. */
export class RedisLoginThrottle implements LoginThrottle {
  readonly #redis: Redis
  readonly #policy: ThrottlePolicy
  readonly #prefix: string
  readonly #secret: string
  /** The clock, replaceable in tests. */
  now: () => number = Date.now

  constructor (redis: Redis, policy: ThrottlePolicy, prefix: string, secret: string) {
    this.#redis = redis
    this.#policy = policy
    this.#prefix = `${prefix}throttle:`
    this.#secret = secret
  }

  #key (identifier: string): string {
    return this.#prefix + createHmac('sha256', this.#secret).update(identifier).digest('base64url')
  }

  async attempt (identifier: string): Promise<boolean> {
    const [wait, began] = await shared(() => this.#redis.eval(
      ATTEMPT_SCRIPT, 1, this.#key(identifier),
      this.now(), this.#policy.maxFailures, this.#policy.failureWindow * 1000, FIRST_DELAY_MS, MAX_DELAY_MS
    ) as Promise<[number, number]>)
    if (wait > 0) throw TooManyAttempts(Math.ceil(wait / 1000))
    return began === 1
  }

  async reset (...identifiers: string[]): Promise<void> {
    await shared(() => this.#redis.del(...identifiers.map(identifier => this.#key(identifier))))
  }
}
