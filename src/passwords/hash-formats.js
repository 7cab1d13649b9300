// @ts-check
// The password-hash formats the service can check: its own bcrypt, and those of the systems whose accounts
// are imported (`import-users`). Plain JavaScript, as the hashing worker, which verifies, starts on bare Node.
import { Buffer } from 'node:buffer'
import { createHash, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'

/**
 * Every cost parameter is bounded, so that a hostile or absurd hash cannot make a login cost much more than
 * its format does with today's defaults. bcrypt: 4, the format's least, to 15, the ceiling of BCRYPT_COST.
 */
export const BCRYPT_COST = { min: 4, max: 15 }
/** PBKDF2-HMAC-SHA256: about twice the defaults of current Django and Werkzeug releases (about 1,000,000). */
export const PBKDF2_ITERATIONS = { min: 1, max: 2_000_000 }
/**
 * scrypt: N a power of two up to 2^20, r ≤ 32, p ≤ 16, and N·r·p at most 2^21, eight times Werkzeug's default
 * (2^15·8·1); that also keeps its memory, 128·N·r bytes, within 256 MiB.
 */
export const SCRYPT = { maxN: 2 ** 20, maxR: 32, maxP: 16, maxWork: 2 ** 21 }

/** Salts as the old systems wrote them: printable ASCII without `$`, their separator. */
const SALT = '([!-#%-~]{1,128})'
const BCRYPT = '(\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53})'

export class HashFormatError extends Error {}

/** @typedef {(password: string) => Promise<boolean>} Verifier */

/**
 * @typedef {object} Format
 * @property {string} name
 * @property {(hash: string) => boolean} claims whether the hash says it is of this format (its prefix)
 * @property {RegExp} pattern the whole hash, strictly
 * @property {string} shape how a well-formed one looks, for the refusal
 * @property {(match: RegExpExecArray) => Verifier} parse checks the bounds; throws HashFormatError
 */

/** @param {string} a @param {string} b */
function equal (a, b) {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** @param {string} text @param {string} what @param {{ min: number, max: number }} bounds */
function bounded (text, what, { min, max }) {
  const value = Number(text)
  if (value < min || value > max) throw new HashFormatError(`${what} ${value} is outside ${min}–${max}`)
  return value
}

/**
 * `$2a$`, `$2b$` and `$2y$` are one algorithm for passwords of at most 72 bytes (the service's limit): the
 * password is hashed with the stored salt as `$2b$` and the results compared in constant time.
 * @param {string} hash a well-formed bcrypt hash
 * @returns {Verifier}
 */
function bcryptVerifier (hash) {
  bounded(hash.slice(4, 6), 'bcrypt cost', BCRYPT_COST)
  return async password => equal((await bcrypt.hash(password, `$2b$${hash.slice(4, 29)}`)).slice(29), hash.slice(29))
}

/** @param {number} iterations @param {string} salt @param {(key: Buffer) => string} encode @param {string} expected */
function pbkdf2Verifier (iterations, salt, encode, expected) {
  return async (/** @type {string} */ password) =>
    equal(encode(pbkdf2Sync(password, salt, iterations, 32, 'sha256')), expected)
}

/** @type {Format[]} */
const FORMATS = [
  {
    name: 'bcrypt',
    claims: hash => /^\$2[a-z]?\$/.test(hash),
    pattern: new RegExp(`^${BCRYPT}$`),
    shape: '$2a$, $2b$ or $2y$, a two-digit cost, $, then 53 characters of ./A-Za-z0-9',
    parse: match => bcryptVerifier(/** @type {string} */ (match[1]))
  },
  {
    name: 'Django pbkdf2_sha256',
    claims: hash => hash.startsWith('pbkdf2_sha256$'),
    pattern: new RegExp(`^pbkdf2_sha256\\$(\\d{1,9})\\$${SALT}\\$([A-Za-z0-9+/]{43}=)$`),
    shape: 'pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>',
    parse: ([, iterations = '', salt = '', key = '']) => pbkdf2Verifier(
      bounded(iterations, 'iterations', PBKDF2_ITERATIONS), salt, derived => derived.toString('base64'), key
    )
  },
  {
    // Django's bcrypt over the SHA-256 of the password in lowercase hex, which lifts bcrypt's 72-byte limit.
    name: 'Django bcrypt_sha256',
    claims: hash => hash.startsWith('bcrypt_sha256$'),
    pattern: new RegExp(`^bcrypt_sha256\\$${BCRYPT}$`),
    shape: 'bcrypt_sha256$ then a bcrypt hash',
    parse: ([, hash = '']) => {
      const verify = bcryptVerifier(hash)
      return password => verify(createHash('sha256').update(password).digest('hex'))
    }
  },
  {
    name: 'Django bcrypt',
    claims: hash => hash.startsWith('bcrypt$'),
    pattern: new RegExp(`^bcrypt\\$${BCRYPT}$`),
    shape: 'bcrypt$ then a bcrypt hash',
    parse: ([, hash = '']) => bcryptVerifier(hash)
  },
  {
    name: 'Werkzeug pbkdf2:sha256',
    claims: hash => hash.startsWith('pbkdf2:'),
    pattern: new RegExp(`^pbkdf2:sha256:(\\d{1,9})\\$${SALT}\\$([0-9a-f]{64})$`),
    shape: 'pbkdf2:sha256:<iterations>$<salt>$<64 lowercase hex digits>',
    parse: ([, iterations = '', salt = '', key = '']) => pbkdf2Verifier(
      bounded(iterations, 'iterations', PBKDF2_ITERATIONS), salt, derived => derived.toString('hex'), key
    )
  },
  {
    name: 'Werkzeug scrypt',
    claims: hash => hash.startsWith('scrypt:'),
    pattern: new RegExp(`^scrypt:(\\d{1,7}):(\\d{1,3}):(\\d{1,3})\\$${SALT}\\$([0-9a-f]{128})$`),
    shape: 'scrypt:<N>:<r>:<p>$<salt>$<128 lowercase hex digits>',
    parse: ([, nText = '', rText = '', pText = '', salt = '', key = '']) => {
      const N = bounded(nText, 'scrypt N', { min: 2, max: SCRYPT.maxN })
      if ((N & (N - 1)) !== 0) throw new HashFormatError(`scrypt N ${N} is not a power of two`)
      const r = bounded(rText, 'scrypt r', { min: 1, max: SCRYPT.maxR })
      const p = bounded(pText, 'scrypt p', { min: 1, max: SCRYPT.maxP })
      if (N * r * p > SCRYPT.maxWork) throw new HashFormatError(`scrypt N·r·p ${N * r * p} is over ${SCRYPT.maxWork}`)
      // OpenSSL's own need (V and B), a little more than Node's default of 32 MiB at Werkzeug's parameters.
      const maxmem = 128 * r * (N + p + 2) + 1024
      return async password => equal(scryptSync(password, salt, 64, { N, r, p, maxmem }).toString('hex'), key)
    }
  }
]

/**
 * A hash's format and its verifier; HashFormatError says why a hash is refused: no known format, a malformed
 * one, or a parameter out of bounds.
 * @param {string} hash
 * @returns {{ format: string, verify: Verifier }}
 */
export function parseHash (hash) {
  const format = FORMATS.find(candidate => candidate.claims(hash))
  if (format === undefined) {
    throw new HashFormatError(
      'is not of a known format (bcrypt $2a$/$2b$/$2y$; Django pbkdf2_sha256, bcrypt_sha256 or bcrypt; ' +
      'Werkzeug pbkdf2:sha256 or scrypt)'
    )
  }
  const match = format.pattern.exec(hash)
  if (match === null) throw new HashFormatError(`is not a well-formed ${format.name} hash (${format.shape})`)
  return { format: format.name, verify: format.parse(match) }
}

/**
 * Whether `password` matches `hash`, in any known format. Costly (that is the point of these formats):
 * run it in the hashing worker, never on the event loop.
 * @param {string} password
 * @param {string} hash
 */
export async function verifyHash (password, hash) {
  return await parseHash(hash).verify(password)
}

/**
 * Why a hash would be refused, or undefined when it can be checked: the import's check, made again by the worker.
 * @param {string} hash
 */
export function hashProblem (hash) {
  try {
    parseHash(hash)
    return undefined
  } catch (error) {
    if (error instanceof HashFormatError) return error.message
    throw error
  }
}
