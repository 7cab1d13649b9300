/** The service-wide cap on new accounts (SIGNUP_CAPACITY), in memory or in Redis. */
import type { Redis } from 'ioredis'
import { SignupCapacityReached } from '../errors.js'
import { shared } from './shared.js'

/**
 * A fixed-window cap on new accounts for the whole service, whatever the clients' addresses: a flood
 * spread over many addresses cannot fill the database.
 */
export interface SignupCapacity {
  /** Takes one signup from the window, or throws SIGNUP_CAPACITY_REACHED (429) until it ends. */
  take: () => Promise<void>
  /** Gives back a signup that was taken but did not create an account. */
  release: () => Promise<void>
}

export class MemorySignupCapacity implements SignupCapacity {
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

  async take (): Promise<void> {
    const now = this.now()
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now
      this.#taken = 0
    }
    if (this.#taken >= this.#max) {
      throw SignupCapacityReached(Math.ceil((this.#windowStart + this.#windowMs - now) / 1000))
    }
    this.#taken += 1
  }

  async release (): Promise<void> {
    if (this.#taken > 0) this.#taken -= 1
  }
}

/** Takes one signup, starting the window at the first; answers the milliseconds left when full, else 0. */
const TAKE_SCRIPT = `
local taken = redis.call('INCR', KEYS[1])
if taken == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if taken > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return math.max(redis.call('PTTL', KEYS[1]), 1)
end
return 0
`
/** Gives one back, without ever creating the counter (which would then have no expiry). */
const RELEASE_SCRIPT = `
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken > 0 then redis.call('DECR', KEYS[1]) end
return 0
`

/** The signup cap in Redis: one window for all instances together. */
export class RedisSignupCapacity implements SignupCapacity {
  readonly #redis: Redis
  readonly #limit: { max: number, windowMs: number }
  readonly #key: string

  constructor (redis: Redis, limit: { max: number, windowMs: number }, prefix: string, name = 'signup-capacity') {
    this.#redis = redis
    this.#limit = limit
    this.#key = `${prefix}${name}`
  }

  async take (): Promise<void> {
    const wait = await shared(() => this.#redis.eval(
      TAKE_SCRIPT, 1, this.#key, this.#limit.max, this.#limit.windowMs
    ) as Promise<number>)
    if (wait > 0) throw SignupCapacityReached(Math.ceil(wait / 1000))
  }

  async release (): Promise<void> {
    await shared(() => this.#redis.eval(RELEASE_SCRIPT, 1, this.#key))
  }
}
