/** A user's second factors as stored: accepting a TOTP code or a recovery code once, and replacing the codes. */
import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { Executor, Store } from '../db/index.js'
import { normalizeRecoveryCode } from './recovery-codes.js'
import type { SecretBox } from './secret-box.js'
import { TOTP_CODE, totpStep } from './totp.js'

export class Factors {
  constructor (readonly store: Store, readonly box: SecretBox) {}

  /** A TOTP code or a recovery code, whichever `code` looks like. */
  async acceptCode (userId: string, code: string, now: number, tx: Executor): Promise<boolean> {
    const compact = code.replace(/\s/g, '')
    return TOTP_CODE.test(compact)
      ? await this.acceptTotp(userId, compact, now, tx)
      : await this.acceptRecoveryCode(userId, code, now, tx)
  }

  /** A current code of the confirmed authenticator, of a later time step than the last one accepted. */
  async acceptTotp (userId: string, code: string, now: number, tx: Executor): Promise<boolean> {
    const { store, box } = this
    const { mfaTotp } = store.tables
    const [row] = await tx.select().from(mfaTotp).where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.confirmedAt)))
    if (row === undefined) return false
    const step = totpStep(box.open(row.secret, userId), code, now)
    if (step === undefined) return false
    // Conditional, so two requests with one code cannot both pass: a code is good once.
    return store.changes(await tx.update(mfaTotp).set({ lastStep: step })
      .where(and(eq(mfaTotp.userId, userId), or(isNull(mfaTotp.lastStep), lt(mfaTotp.lastStep, step))))) > 0
  }

  /** An unused recovery code of the user, used up now. */
  async acceptRecoveryCode (userId: string, typed: string, now: number, tx: Executor): Promise<boolean> {
    const { store, box } = this
    const { mfaRecoveryCodes } = store.tables
    const code = normalizeRecoveryCode(typed)
    if (code === undefined) return false
    return store.changes(await tx.update(mfaRecoveryCodes).set({ usedAt: new Date(now) })
      .where(and(
        eq(mfaRecoveryCodes.userId, userId), eq(mfaRecoveryCodes.codeHash, box.digest(code)),
        isNull(mfaRecoveryCodes.usedAt)
      ))) > 0
  }

  /** The user's recovery codes, replaced by `codes` (stored as digests). */
  async replaceRecoveryCodes (userId: string, codes: string[], now: number, tx: Executor): Promise<void> {
    const { store, box } = this
    const { mfaRecoveryCodes } = store.tables
    await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId))
    await tx.insert(mfaRecoveryCodes)
      .values(codes.map(code => ({ userId, codeHash: box.digest(code), createdAt: new Date(now) })))
  }
}
