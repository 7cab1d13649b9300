/** How emails and usernames are compared: the keys behind their unique indexes. */
import unhomoglyph from 'unhomoglyph'
import { invalidInput } from '../errors.js'

const USERNAME_RULE = /^[\p{L}\p{N}_.-][\p{L}\p{M}\p{N}_.-]{2,31}$/u
/** A name made in an older system (Django's rule, `LegacyUsername`): kept as it was, when imported. */
const LEGACY_RULE = /^[\p{L}\p{M}\p{N}_.@+-]{1,150}$/u
/** Code points that render as nothing (joiners, variation selectors, Hangul fillers): a name must be what it shows. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u

/** The scripts a name's letters are told apart by; digits, `_`, `.` and `-` belong to none. */
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari', 'Bengali',
  'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan',
  'Myanmar', 'Georgian', 'Hangul', 'Ethiopic', 'Cherokee', 'Khmer', 'Mongolian', 'Hiragana', 'Katakana', 'Bopomofo',
  'Han'
].map(name => ({ name, pattern: new RegExp(`\\p{Script=${name}}`, 'u') }))

/**
 * Mixes of scripts that UTS #39 allows in a highly restrictive identifier: one script, or Latin with the
 * scripts written beside it in Japan, China and Korea. Latin with Cyrillic or Greek is refused: their
 * look-alike letters are how one name imitates another.
 */
const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'], ['Latin', 'Han', 'Bopomofo'], ['Latin', 'Han', 'Hangul']
]

/** The stored columns of a normalized email and username. */
export function identityColumns (
  email: { email: string, key: string }, username?: { username: string, key: string, skeleton: string }
) {
  return {
    email: email.email,
    emailKey: email.key,
    username: username?.username ?? null,
    usernameKey: username?.key ?? null,
    usernameSkeleton: username?.skeleton ?? null
  }
}

/** Emails are trimmed and compared case-insensitively. */
export function normalizeEmail (email: string): { email: string, key: string } {
  const trimmed = email.trim()
  return { email: trimmed, key: trimmed.toLowerCase() }
}

function refuse (message: string): never {
  throw invalidInput([{ path: '/username', message }])
}

/**
 * The scripts of a name's letters. The letters of scripts not listed count as one more script, so a name in
 * any one of them is welcome and none of them mixes with Latin.
 */
function scriptsOf (name: string): Set<string> {
  const scripts = new Set<string>()
  for (const character of name) {
    const script = SCRIPTS.find(({ pattern }) => pattern.test(character))
    if (script !== undefined) scripts.add(script.name)
    else if (/\p{L}/u.test(character)) scripts.add('another script')
  }
  return scripts
}

/**
 * Usernames are NFKC-normalized, so look-alike forms such as full-width letters collapse into one name.
 * The rules are checked after normalization, which can change a name's length or characters: no invisible
 * code point, and no unsafe mix of scripts. Letters of any one script are welcome.
 */
export function normalizeUsername (
  username: string, { legacy = false } = {}
): { username: string, key: string, skeleton: string } {
  const normalized = username.normalize('NFKC')
  if (legacy) {
    if (!LEGACY_RULE.test(normalized)) refuse('must be 1–150 letters, digits, @, ., +, - or _ after Unicode normalization')
  } else if (!USERNAME_RULE.test(normalized)) {
    refuse('must be 3–32 letters, digits, _, . or - after Unicode normalization')
  }
  if (INVISIBLE.test(normalized)) {
    refuse('must not contain invisible characters (joiners, variation selectors, fillers)')
  }
  const scripts = [...scriptsOf(normalized)]
  if (scripts.length > 1 && !ALLOWED_MIXES.some(mix => scripts.every(script => mix.includes(script)))) {
    refuse(`must not mix the letters of ${scripts.join(', ')}: their look-alike letters let one name pass for another`)
  }
  const key = usernameKey(normalized)
  return { username: normalized, key, skeleton: usernameSkeleton(key) }
}

/**
 * The case-insensitive key of a username. Upper case last: lower-casing is context-dependent (final ς)
 * and folds less (ß and SS), so lower-then-upper maps every case variant to one key.
 */
export function usernameKey (username: string): string {
  return username.normalize('NFKC').toLowerCase().toUpperCase().normalize('NFKC')
}

/**
 * The UTS #39 confusable skeleton of a username's key: two names that look alike (`paypal` in Latin and
 * one with a Cyrillic а) have one skeleton, and its unique index makes the second one taken.
 */
export function usernameSkeleton (key: string): string {
  return unhomoglyph(key.normalize('NFD')).normalize('NFD')
}
