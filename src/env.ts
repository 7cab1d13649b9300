/** Reading environment variables: each problem is collected, naming its variable, rather than thrown. */
import { isIP } from 'node:net'

export interface RateLimit {
  max: number
  /** Window length in milliseconds. */
  windowMs: number
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }
const MAX_DURATION = 365 * 86400

/** Parses `90s`, `15m`, `2h`, `7d` or a plain number of seconds into seconds; 0 only when allowed. */
export function parseDuration (text: string, allowZero = false): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim())
  if (match === null) return undefined
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1)
  return (seconds > 0 || (allowZero && seconds === 0)) && seconds <= MAX_DURATION ? seconds : undefined
}

/** Parses `MAX/WINDOW`, for example `10/1m`. */
export function parseRate (text: string): RateLimit | undefined {
  const match = /^\s*(\d{1,9})\s*\/\s*(\S+)\s*$/.exec(text)
  if (match === null) return undefined
  const max = Number(match[1])
  const windowSeconds = parseDuration(match[2] as string)
  return max >= 1 && windowSeconds !== undefined ? { max, windowMs: windowSeconds * 1000 } : undefined
}

/** Reads typed values from an environment; `problems` collects what is wrong, each naming its variable. */
export class EnvReader {
  readonly problems: string[] = []
  readonly #source: NodeJS.ProcessEnv

  constructor (source: NodeJS.ProcessEnv) {
    this.#source = source
  }

  readonly read = (name: string): string | undefined => {
    const value = this.#source[name]
    return value === undefined || value.trim() === '' ? undefined : value
  }

  readonly integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = this.read(name)
    if (text === undefined) return fallback
    const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${text}")`)
      return fallback
    }
    return value
  }

  readonly duration = (name: string, fallback: string, allowZero = false): number => {
    const text = this.read(name) ?? fallback
    const seconds = parseDuration(text, allowZero)
    if (seconds === undefined) {
      this.problems.push(
        `${name} must be a duration such as 90s, 15m, 2h, 7d or a number of seconds${allowZero ? ' (0 allowed)' : ''}` +
        `, at most 365d (got "${text}")`
      )
      return parseDuration(fallback) as number
    }
    return seconds
  }

  readonly boolean = (name: string, fallback: boolean): boolean => {
    const text = this.read(name)?.trim().toLowerCase()
    if (text === undefined) return fallback
    if (['true', '1', 'yes', 'on'].includes(text)) return true
    if (['false', '0', 'no', 'off'].includes(text)) return false
    this.problems.push(`${name} must be true or false (got "${text}")`)
    return fallback
  }

  readonly rate = (name: string, fallback: string): RateLimit => {
    const text = this.read(name) ?? fallback
    const limit = parseRate(text)
    if (limit === undefined) {
      this.problems.push(`${name} must look like MAX/WINDOW, for example 10/1m (got "${text}")`)
      return parseRate(fallback) as RateLimit
    }
    return limit
  }

  readonly choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const text = this.read(name)?.trim().toLowerCase()
    if (text === undefined) return fallback
    if (choices.includes(text as T)) return text as T
    this.problems.push(`${name} must be one of ${choices.join(', ')} (got "${text}")`)
    return fallback
  }

  /** Proxies whose forwarded addresses are believed: off, or a comma list of addresses and CIDRs. */
  readonly proxies = (name: string): false | string[] => {
    const text = this.read(name)?.trim()
    if (text === undefined || ['false', 'off', '0', 'no'].includes(text.toLowerCase())) return false
    const entries = text.split(',').map(entry => entry.trim()).filter(entry => entry !== '')
    for (const entry of entries) {
      const [address, prefix, extra] = entry.split('/')
      const family = isIP(address ?? '')
      const bits = family === 6 ? 128 : 32
      // A /0 prefix would trust every address: any client could then choose its own.
      if (
        family === 0 || extra !== undefined ||
        (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= bits))
      ) {
        this.problems.push(
          `${name} must be off or a comma list of proxy addresses or CIDRs such as 10.0.0.1, 10.1.0.0/16 ` +
          `(got "${entry}"); trusting every proxy would let any client choose its address`
        )
      }
    }
    return entries
  }

  /** A comma list of web origins (scheme, host and port; no path). */
  readonly origins = (name: string): string[] => {
    const origins = (this.read(name) ?? '').split(',').map(origin => origin.trim()).filter(origin => origin !== '')
    for (const origin of origins) {
      if (!URL.canParse(origin) || !['http:', 'https:'].includes(new URL(origin).protocol) ||
        new URL(origin).origin !== origin) {
        this.problems.push(
          `${name} must be a comma list of origins such as https://app.example.com, ` +
          `without a path or a trailing slash (got "${origin}")`
        )
      }
    }
    return origins
  }

  readonly optional = (name: string, maxLength: number): string | undefined => {
    const text = this.read(name)?.trim()
    if (text !== undefined && text.length > maxLength) {
      this.problems.push(`${name} must be at most ${maxLength} characters`)
    }
    return text
  }
}
