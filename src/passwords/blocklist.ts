/**
 * The new-password blocklist (NIST SP 800-63B): passwords attackers try first, and passwords made of the
 * account's own details. Checked for passwords chosen here (signup, change, reset, the CLI), never at login
 * or for imported hashes.
 */
import { dictionary } from '@zxcvbn-ts/language-common'
import { PasswordTooCommon } from '../errors.js'
import type { BreachCheck } from './breach-check.js'
import { normalizePassword } from './normalize.js'

/** What a password is compared with besides the list: the account's details, as far as they are known. */
export interface PasswordContext {
  email?: string
  username?: string | null
  name?: string | null
}

/** The reasons, in the words of PASSWORD_TOO_COMMON's message. */
const LISTED = 'it is in a list of passwords attackers try first'
const LISTED_AROUND = 'it is a common password with only digits or symbols around it'
const REPEATED = 'it repeats a few characters'
const BREACHED = 'it has appeared in a data breach'

/** Words shorter than this are not looked for between digits and symbols: too many strong passwords hold one. */
const MIN_WORD = 4
/** Account details shorter than this (a two-letter name) are not compared. */
const MIN_DETAIL = 3

/** As a password is compared: NFC, as it is hashed, and in lower case. */
function fold (text: string): string {
  return normalizePassword(text).toLowerCase()
}

/** Letters (and digits between them) without the digits and symbols around them or the separators within. */
function core (folded: string): string {
  return folded.replace(/^\P{L}+|[^\p{L}\p{M}]+$/gu, '').replace(/[^\p{L}\p{M}\p{N}]/gu, '')
}

/** `passwordpassword` → `password`, `aaaaaaaaaaaa` → `a`; undefined when the text is no repetition. */
function repeatedUnit (folded: string): string | undefined {
  return /^(.+?)\1+$/su.exec(folded)?.[1]
}

/**
 * The list (zxcvbn-ts's ~49,000 common and breached passwords), as written and as its letter cores, so that
 * `password123456!` is found through `password`. Built once, when the module is first imported.
 */
const COMMON: ReadonlySet<string> = (() => {
  const set = new Set<string>()
  for (const entry of dictionary['passwords-common']) {
    const folded = fold(entry)
    set.add(folded)
    const word = core(folded)
    if (word.length >= MIN_WORD) set.add(word)
  }
  return set
})()

export interface PasswordBlocklistOptions {
  /** The service's own name (MFA_ISSUER): a password made of it is among the first an attacker tries here. */
  serviceName: string
  /** PASSWORD_BREACH_CHECK=hibp; absent: the local list only. */
  breachCheck?: BreachCheck
}

export class PasswordBlocklist {
  readonly #serviceWords: readonly string[]
  readonly #breachCheck: BreachCheck | undefined

  constructor ({ serviceName, breachCheck }: PasswordBlocklistOptions) {
    this.#serviceWords = words(serviceName)
    this.#breachCheck = breachCheck
  }

  /** Throws PASSWORD_TOO_COMMON when the password is listed, built from `context`, or known from a breach. */
  async check (password: string, context: PasswordContext = {}): Promise<void> {
    this.checkLocally(password, context)
    if (await this.#breachCheck?.isBreached(normalizePassword(password)) === true) {
      throw new PasswordTooCommon(BREACHED)
    }
  }

  /** The list and the account's details only: no network, so it may run inside a transaction. */
  checkLocally (password: string, context: PasswordContext = {}): void {
    const reason = this.refusal(password, context)
    if (reason !== undefined) throw new PasswordTooCommon(reason)
  }

  /** Why the password is refused by the list or the account's details, in words; undefined when it is not. */
  refusal (password: string, context: PasswordContext = {}): string | undefined {
    const folded = fold(password)
    const trimmed = folded.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{M}\p{N}]+$/gu, '')
    if (COMMON.has(folded) || COMMON.has(trimmed)) return LISTED
    const word = core(folded)
    if (word.length >= MIN_WORD && COMMON.has(word)) return LISTED_AROUND
    const unit = repeatedUnit(folded)
    if (unit !== undefined && (unit.length < MIN_WORD || COMMON.has(unit) || COMMON.has(core(unit)))) return REPEATED

    const details: Array<[string, readonly string[]]> = [
      ['it is built from your email address', emailWords(context.email)],
      ['it is built from your username', words(context.username)],
      ['it is built from your name', words(context.name)],
      ['it is built from the name of this service', this.#serviceWords]
    ]
    const candidates = [word, ...unit === undefined ? [] : [core(unit)]]
    for (const [reason, known] of details) {
      if (candidates.some(candidate => known.includes(candidate))) return reason
    }
    return undefined
  }
}

/** The address's local part, with and without its `+tag`: `o.brien+news` → `obriennews`, `obrien`, `brien`, `news`. */
function emailWords (email: string | undefined): string[] {
  if (email === undefined) return []
  const at = email.lastIndexOf('@')
  const local = at === -1 ? email : email.slice(0, at)
  return [...new Set([...words(local), ...words(local.split('+')[0])])]
}

/** A detail as a password would hold it: whole (`grace.hopper` → `gracehopper`) and each of its words. */
function words (detail: string | null | undefined): string[] {
  if (detail === undefined || detail === null) return []
  const folded = fold(detail)
  const parts = [core(folded), ...folded.split(/[^\p{L}\p{M}]+/u)]
  return [...new Set(parts)].filter(part => part.length >= MIN_DETAIL)
}
