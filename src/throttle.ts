/**
 * Brute-force throttling per login identifier. Failures are counted per normalized email or
 * username, across every client address and whether or not such an account exists, so the
 * answers reveal nothing. Past the limit, the identifier must wait, longer after each further
 * failure (up to 15 minutes); a correct password after the wait works, and resets the count:
 * an attacker can slow an account's logins down but never lock its owner out for good.
 */
import { SignupCapacityReached, TooManyAttempts } from './errors.js'

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

export class LoginThrottle {
  readonly #policy: ThrottlePolicy
  readonly #entries = new Map<string, Entry>()
  /** The clock, replaceable in tests. */
  now: () => number = Date.now

  constructor (policy: ThrottlePolicy) {
    this.#policy = policy
  }

  /**
   * Starts an attempt: throws TOO_MANY_ATTEMPTS (429) while the identifier must wait, and
   * otherwise counts the attempt as a failure at once, before the password is even checked,
   * so that concurrent guesses cannot all slip in before the first one is counted. A correct
   * password then calls `reset`. Returns true when this attempt began a wait (for the audit trail).
   */
  attempt (identifier: string): boolean {
    const now = this.now()
    let entry = this.#entries.get(identifier)
    const wait = entry === undefined ? 0 : entry.lockedUntil - now
    if (wait > 0) throw TooManyAttempts(Math.ceil(wait / 1000))
    // Forgotten a window after the last failure or the end of the last wait, whichever is
    // later: a wait longer than the window must not wipe the count it escalates.
    if (entry === undefined || now - Math.max(entry.lastFailureAt, entry.lockedUntil) > this.#policy.failureWindow * 1000) {
      entry = { failures: 0, lastFailureAt: now, lockedUntil: 0 }
    }
    entry.failures += 1
    entry.lastFailureAt = now
    const excess = entry.failures - this.#policy.maxFailures
    if (excess >= 0) entry.lockedUntil = now + Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(excess, 16))
    // Re-inserted at the end: the Map's order is then least recently failed first.
    this.#entries.delete(identifier)
    this.#entries.set(identifier, entry)
    if (this.#entries.size > MAX_ENTRIES) this.#evict(now)
    return excess >= 0
  }

  /** The attempt succeeded: the identifier's count starts over. */
  reset (...identifiers: string[]): void {
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
 * A cap on new accounts for the whole service per window, whatever the clients' addresses: a
 * flood spread over many addresses cannot fill the database. A fixed window, counted when a
 * signup is about to be hashed and stored.
 */
export class SignupCapacity {
  readonly #max: number
  readonly #windowMs: number
  #windowStart = 0
  #taken = 0
  /** The clock, replaceable in tests. */
  now: () => number = Date.now

  constructor (limit: { max: number, windowMs: number }) {
    this.#max = limit.max
    this.#windowMs = limit.windowMs
  }

  /** Takes one signup from the window, or throws SIGNUP_CAPACITY_REACHED (429) until it ends. */
  take (): void {
    const now = this.now()
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now
      this.#taken = 0
    }
    if (this.#taken >= this.#max) throw SignupCapacityReached(Math.ceil((this.#windowStart + this.#windowMs - now) / 1000))
    this.#taken += 1
  }

  /** Gives back a signup that was taken but did not create an account (e.g. lost a race for its email). */
  release (): void {
    if (this.#taken > 0) this.#taken -= 1
  }
}
