/**
 * The one-time codes and link tokens of the email flows. A code is six digits for a person to type, a token
 * 256 random bits for a link; either completes its flow once. Only digests are stored: an HMAC of the code
 * under a key kept in the database (six digits alone would be undone by trying them all), a SHA-256 of the
 * token. Both digests name the purpose, so a code of one flow never works for another.
 */
import { createHash, createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto'
import { and, eq, gt, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { Executor, Store } from '../db/index.js'

export type CodePurpose = 'verify_email' | 'reset_password' | 'change_email'

/** Wrong codes after which a code is dead, whatever is typed next. */
export const MAX_CODE_ATTEMPTS = 5

export interface IssuedCode {
  code: string
  token: string
}

/** What a consumed code was for: its user, and the address it was sent to. */
export interface ConsumedCode {
  userId: string
  email: string
}

export class EmailCodes {
  readonly #store: Store
  readonly #key: Buffer

  constructor (store: Store, key: string) {
    this.#store = store
    this.#key = Buffer.from(key, 'base64url')
  }

  #codeDigest (purpose: CodePurpose, userId: string, code: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}:${userId}:${code}`).digest('base64url')
  }

  #tokenDigest (purpose: CodePurpose, token: string): string {
    return createHash('sha256').update(`${purpose}:${token}`).digest('base64url')
  }

  /**
   * A new code and token for the user and purpose, replacing any earlier one, valid `ttl` seconds; undefined
   * when a live one was issued less than `spacing` ms ago. One statement, so that of concurrent requests
   * (on several instances too) only one issues.
   */
  async issue (
    userId: string, purpose: CodePurpose, email: string, ttl: number, spacing: number, tx: Executor
  ): Promise<IssuedCode | undefined> {
    const { emailCodes } = this.#store.tables
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const token = randomBytes(32).toString('base64url')
    const now = new Date()
    const values = {
      email,
      codeHash: this.#codeDigest(purpose, userId, code),
      tokenHash: this.#tokenDigest(purpose, token),
      attempts: 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl * 1000),
      usedAt: null
    }
    const [issued] = await tx.insert(emailCodes).values({ id: randomUUID(), userId, purpose, ...values })
      .onConflictDoUpdate({
        target: [emailCodes.userId, emailCodes.purpose],
        set: values,
        setWhere: or(isNotNull(emailCodes.usedAt), lte(emailCodes.createdAt, new Date(now.getTime() - spacing)))
      })
      .returning({ id: emailCodes.id })
    return issued === undefined ? undefined : { code, token }
  }

  /**
   * Consumes the user's code of this purpose if `code` is it and it is live. Every try is counted first, in one
   * statement, so that concurrent guesses cannot outnumber five; the consuming update then names the code's
   * digest, so that a code replaced meanwhile by a new request cannot consume its replacement, and of
   * concurrent tries with one code exactly one wins.
   */
  async consumeCode (userId: string, purpose: CodePurpose, code: string, tx: Executor): Promise<ConsumedCode | undefined> {
    const { emailCodes } = this.#store.tables
    const now = new Date()
    const [tried] = await tx.update(emailCodes).set({ attempts: sql`${emailCodes.attempts} + 1` }).where(and(
      eq(emailCodes.userId, userId), eq(emailCodes.purpose, purpose), isNull(emailCodes.usedAt),
      gt(emailCodes.expiresAt, now), lt(emailCodes.attempts, MAX_CODE_ATTEMPTS)
    )).returning({ id: emailCodes.id, codeHash: emailCodes.codeHash })
    if (tried === undefined) return undefined
    const digest = this.#codeDigest(purpose, userId, code)
    const sent = Buffer.from(digest)
    const stored = Buffer.from(tried.codeHash)
    if (sent.length !== stored.length || !timingSafeEqual(sent, stored)) return undefined
    const [used] = await tx.update(emailCodes).set({ usedAt: now }).where(and(
      eq(emailCodes.id, tried.id), eq(emailCodes.codeHash, digest), isNull(emailCodes.usedAt), gt(emailCodes.expiresAt, now)
    )).returning({ userId: emailCodes.userId, email: emailCodes.email })
    return used
  }

  /** Deletes the codes used or expired: they can do nothing more. */
  async prune (now = new Date()): Promise<number> {
    const { emailCodes } = this.#store.tables
    return this.#store.changes(await this.#store.write(db => db.delete(emailCodes)
      .where(or(isNotNull(emailCodes.usedAt), lte(emailCodes.expiresAt, now)))))
  }

  /** Consumes the live code of this purpose whose link carried `token` (and of `userId`, when given). */
  async consumeToken (
    purpose: CodePurpose, token: string, tx: Executor, userId?: string
  ): Promise<ConsumedCode | undefined> {
    const { emailCodes } = this.#store.tables
    const now = new Date()
    const [used] = await tx.update(emailCodes).set({ usedAt: now }).where(and(
      eq(emailCodes.tokenHash, this.#tokenDigest(purpose, token)), eq(emailCodes.purpose, purpose),
      userId === undefined ? undefined : eq(emailCodes.userId, userId),
      isNull(emailCodes.usedAt), gt(emailCodes.expiresAt, now), lt(emailCodes.attempts, MAX_CODE_ATTEMPTS)
    )).returning({ userId: emailCodes.userId, email: emailCodes.email })
    return used
  }
}
