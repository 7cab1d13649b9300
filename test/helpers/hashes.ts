/** Password hashes of the formats import-users takes, made by their published algorithms at test-fast costs. */
import { createHash, pbkdf2Sync, scryptSync } from 'node:crypto'
import bcrypt from 'bcryptjs'

/** Each format made by its published algorithm, as the old system would have stored it. */
export function foreignHashes (password: string): Record<string, string> {
  const bcrypt4 = bcrypt.hashSync(password, 4)
  const sha256Hex = createHash('sha256').update(password).digest('hex')
  return {
    'Django pbkdf2_sha256': `pbkdf2_sha256$1000$Zx8sUq3pLm$${pbkdf2Sync(password, 'Zx8sUq3pLm', 1000, 32, 'sha256')
      .toString('base64')}`,
    'Django bcrypt_sha256': `bcrypt_sha256$${bcrypt.hashSync(sha256Hex, 4)}`,
    'Werkzeug pbkdf2:sha256': `pbkdf2:sha256:1000$k3yS4lt$${pbkdf2Sync(password, 'k3yS4lt', 1000, 32, 'sha256')
      .toString('hex')}`,
    'Werkzeug scrypt': `scrypt:1024:8:1$k3yS4lt$${scryptSync(password, 'k3yS4lt', 64, { N: 1024, r: 8, p: 1 })
      .toString('hex')}`,
    'bcrypt $2a$': bcrypt4.replace(/^\$2b\$/, '$2a$'),
    'bcrypt $2b$': bcrypt4,
    'bcrypt $2y$': bcrypt4.replace(/^\$2b\$/, '$2y$')
  }
}
