/**
 * Passwords are compared in Unicode NFC: the same password typed on two keyboards (composed or
 * decomposed accents) is one password, for its length limits, its confirmation and its hash.
 */
export function normalizePassword (password: string): string {
  return password.normalize('NFC')
}
