/**
 * Have I Been Pwned's Pwned Passwords, by k-anonymity: only the first five hex digits of the password's SHA-1
 * leave the service, and the answer lists every suffix of that range (padded with decoys), matched here.
 */
import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'

/** Whether a password is known from a breach; swappable (another corpus, a local copy, a test double). */
export interface BreachCheck {
  isBreached: (password: string) => Promise<boolean>
}

export interface PwnedPasswordsOptions {
  /** The range API's base URL, without a trailing slash. */
  url: string
  log: FastifyBaseLogger
  /** Milliseconds for the whole answer, body included; tests shorten it. */
  timeout?: number
}

/** How long a new password waits for the range API before it is accepted without it. */
export const BREACH_CHECK_TIMEOUT_MS = 2000

export class PwnedPasswords implements BreachCheck {
  readonly #url: string
  readonly #log: FastifyBaseLogger
  readonly #timeout: number

  constructor ({ url, log, timeout = BREACH_CHECK_TIMEOUT_MS }: PwnedPasswordsOptions) {
    this.#url = url
    this.#log = log
    this.#timeout = timeout
  }

  /**
   * True when the range lists the password's suffix with a count above zero (padding lines count 0). Fails
   * open: an API that is down, slow or answers an error must not stop people from choosing a password, and
   * the local list has already been checked.
   */
  async isBreached (password: string): Promise<boolean> {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase()
    const prefix = digest.slice(0, 5)
    const suffix = digest.slice(5)
    try {
      const response = await fetch(`${this.#url}/range/${prefix}`, {
        headers: { 'add-padding': 'true', 'user-agent': 'auth-service' },
        signal: AbortSignal.timeout(this.#timeout)
      })
      if (!response.ok) throw new Error(`the range API answered ${response.status}`)
      for (const line of (await response.text()).split('\n')) {
        const [hash, count] = line.trim().split(':')
        if (hash?.toUpperCase() === suffix && Number(count) > 0) return true
      }
      return false
    } catch (error) {
      this.#log.warn({ err: error }, 'password breach check failed: the password was accepted without it')
      return false
    }
  }
}
