/**
 * Password hashing with bcrypt. Passwords are NFC-normalized first, so the same password typed
 * on two keyboards (composed or decomposed accents) hashes the same.
 */
import { randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A well-formed bcrypt hash of nothing at the given cost. Comparing against it takes as long as
 * comparing against a real hash, and never matches: logins for unknown users cost the same as
 * logins with a wrong password, so timing does not reveal which accounts exist.
 * It is made from random bytes rather than by hashing, so start-up does not pay for it.
 */
function dummyHash (cost: number): string {
  const body = Array.from(randomBytes(53), byte => BCRYPT_ALPHABET[byte & 63]).join('')
  return `$2b$${String(cost).padStart(2, '0')}$${body}`
}

export class Passwords {
  readonly #cost: number
  readonly #dummy: string

  constructor (cost: number) {
    this.#cost = cost
    this.#dummy = dummyHash(cost)
  }

  hash (password: string): Promise<string> {
    return bcrypt.hash(password.normalize('NFC'), this.#cost)
  }

  /** Whether `hash` was made at another cost than the configured one. */
  needsRehash (hash: string): boolean {
    return bcrypt.getRounds(hash) !== this.#cost
  }

  /** Compares against `hash`, or against a dummy of equal cost when there is no account. */
  async verify (password: string, hash: string | undefined): Promise<boolean> {
    const match = await bcrypt.compare(password.normalize('NFC'), hash ?? this.#dummy)
    return match && hash !== undefined
  }
}
