/**
 * The second factor: a TOTP authenticator with single-use recovery codes, the login challenges that wait for
 * it, and the step-up rule. Turning it on ends the user's other sessions, which were signed in with one factor.
 */
import { createHash, randomBytes } from 'node:crypto'
import { and, count, eq, gt, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { Executor, Store } from '../db/index.js'
import type { UserRow } from '../db/schema.js'
import { InvalidCredentials, InvalidToken, MfaConflict, WrongSecondFactor } from '../errors.js'
import type { AuthEvents } from '../audit/events.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { MailService } from '../mail/mail.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import { Factors } from './factors.js'
import { newRecoveryCodes } from './recovery-codes.js'
import type { SecretBox } from './secret-box.js'
import { enrolment, newTotpSecret, TOTP_CODE, totpStep } from './totp.js'

/** Seconds a login has to bring its second factor. */
export const MFA_CHALLENGE_TTL = 300
/** Codes one challenge may try. */
const CHALLENGE_ATTEMPTS = 5
/** Seconds an enrolment waits for its first code; then it must start again. */
export const ENROLMENT_TTL = 900

/** The methods of a session signed in with a password and a second factor (RFC 8176). */
export const PASSWORD_AND_OTP = ['pwd', 'otp', 'mfa'] as const

/** A login's second step: the methods it may use, and the token that names it. */
export interface MfaChallenge {
  mfaRequired: true
  mfaToken: string
  methods: Array<'totp' | 'recovery_code'>
  expiresIn: number
}

/** What a login's second step brings: a code from the app, or a recovery code. */
export interface SecondFactorProof { code?: string, recoveryCode?: string }

export interface MfaDependencies {
  store: Store
  sessions: Sessions
  events: AuthEvents
  throttle: LoginThrottle
  mail: Pick<MailService, 'enqueue' | 'wake'>
  box: SecretBox
  issuer: string
  /** The user's current password, checked and throttled as a password change checks it. */
  checkPassword: (user: UserRow, password: string, actor: Actor, client: ClientInfo) => Promise<void>
}

/** Whether a session's methods include a second factor. */
export function multiFactor (amr: readonly string[] | undefined): boolean {
  return amr?.includes('mfa') === true
}

export class Mfa {
  readonly #deps: MfaDependencies
  readonly #factors: Factors

  constructor (deps: MfaDependencies) {
    this.#deps = deps
    this.#factors = new Factors(deps.store, deps.box)
  }

  /** The user's factors beside the password: the authenticator app, recovery codes left, and passkeys. */
  async status (userId: string): Promise<{ totp: boolean, recoveryCodesLeft: number, passkeys: number }> {
    const { db, tables: { mfaTotp, mfaRecoveryCodes, passkeys } } = this.#deps.store
    const [totp] = await db.select({ confirmedAt: mfaTotp.confirmedAt }).from(mfaTotp).where(eq(mfaTotp.userId, userId))
    const [codes] = await db.select({ left: count() }).from(mfaRecoveryCodes)
      .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)))
    const [keys] = await db.select({ held: count() }).from(passkeys).where(eq(passkeys.userId, userId))
    return {
      totp: totp?.confirmedAt != null, recoveryCodesLeft: Number(codes?.left ?? 0), passkeys: Number(keys?.held ?? 0)
    }
  }

  /** A new pending authenticator, replacing one not yet confirmed; the password is asked again first. */
  async enroll (actor: Actor, password: string, client: ClientInfo) {
    const { store, box, issuer, checkPassword } = this.#deps
    const { users, mfaTotp } = store.tables
    const [user] = await store.db.select().from(users).where(eq(users.id, actor.userId))
    if (user === undefined) throw new InvalidToken()
    if (user.mfaEnabledAt !== null) throw new MfaConflict('Two-factor sign-in is already on')
    await checkPassword(user, password, actor, client)
    const secret = newTotpSecret()
    const sealed = box.seal(secret, user.id)
    await store.transaction(async tx => {
      if (!await this.#lockUser(user.id, false, tx)) throw new MfaConflict('Two-factor sign-in is already on')
      await tx.insert(mfaTotp).values({ userId: user.id, secret: sealed, createdAt: new Date() })
        .onConflictDoUpdate({ target: mfaTotp.userId, set: { secret: sealed, createdAt: new Date(), lastStep: null } })
    })
    return { secret, ...await enrolment(secret, issuer, user.email) }
  }

  /**
   * Turns two-factor on with the pending authenticator's first code: ends the user's other sessions, marks
   * this one as having proven the factor (its tokens carry it from the next refresh), and returns the recovery codes.
   */
  async confirm ({ userId, sessionId }: Actor, code: string, client: ClientInfo): Promise<string[]> {
    const { store, box, sessions, events, mail, throttle } = this.#deps
    const { mfaTotp } = store.tables
    const codes = newRecoveryCodes()
    const now = Date.now()
    // Throttled like the other codes of a signed-in user: a stolen access token must not be a way to guess
    // the code of an enrolment left pending, and so to take over the second factor.
    const identifier = `user:${userId}`
    await throttle.attempt(identifier)
    await store.transaction(async tx => {
      const user = await this.#lockUser(userId, false, tx)
      const [pending] = await tx.select().from(mfaTotp).where(eq(mfaTotp.userId, userId))
      if (user === undefined || pending === undefined || pending.createdAt.getTime() + ENROLMENT_TTL * 1000 <= now) {
        throw new MfaConflict('No authenticator is waiting for its first code: enroll (again) first')
      }
      const step = totpStep(box.open(pending.secret, userId), code, now)
      if (step === undefined) throw new WrongSecondFactor()
      await tx.update(mfaTotp).set({ confirmedAt: new Date(now), lastStep: step }).where(eq(mfaTotp.userId, userId))
      await tx.update(store.tables.users).set({ mfaEnabledAt: new Date(now), updatedAt: new Date(now) })
        .where(eq(store.tables.users.id, userId))
      if (!await sessions.isLive(sessionId, userId, tx)) throw new InvalidToken()
      await sessions.revokeAll(userId, { except: sessionId }, tx)
      await sessions.addMethods(sessionId, PASSWORD_AND_OTP, tx)
      await this.#factors.replaceRecoveryCodes(userId, codes, now, tx)
      await events.record({ type: 'mfa_enabled', userId, sessionId, client }, tx)
      await mail.enqueue({
        to: user.email, template: 'mfa-enabled', purpose: 'mfa_enabled', userId, data: { name: user.name ?? '' }
      }, tx)
    })
    await throttle.reset(identifier)
    mail.wake()
    return codes
  }

  /** Ten new recovery codes for a current TOTP code; the old ones die. */
  async renewRecoveryCodes ({ userId, sessionId }: Actor, code: string, client: ClientInfo): Promise<string[]> {
    const { events } = this.#deps
    const codes = newRecoveryCodes()
    await this.#withCode(userId, client, async (tx, now) => {
      if (!TOTP_CODE.test(code) || !await this.#factors.acceptTotp(userId, code, now, tx)) return false
      await this.#factors.replaceRecoveryCodes(userId, codes, now, tx)
      await events.record({ type: 'mfa_recovery_codes_renewed', userId, sessionId, client }, tx)
      return true
    })
    return codes
  }

  /** Turns two-factor off with a TOTP code or a recovery code. */
  async disable ({ userId, sessionId }: Actor, code: string, client: ClientInfo): Promise<void> {
    await this.#withCode(userId, client, async (tx, now) => {
      if (!await this.#factors.acceptCode(userId, code, now, tx)) return false
      await this.#turnOff(userId, tx, { type: 'mfa_disabled', sessionId, client })
      return true
    })
    this.#deps.mail.wake()
  }

  /** An admin's reset for a user who lost every factor, inside the admin action's transaction; false when off. */
  async reset (userId: string, actorId: string, client: ClientInfo, tx: Executor): Promise<boolean> {
    const { users } = this.#deps.store.tables
    const [on] = await tx.select({ id: users.id }).from(users)
      .where(and(eq(users.id, userId), isNotNull(users.mfaEnabledAt)))
    if (on === undefined) return false
    await this.#turnOff(userId, tx, { type: 'mfa_reset', actorId, client })
    await this.#deps.sessions.revokeAll(userId, {}, tx)
    return true
  }

  /**
   * A login whose password was right waits here for its second factor. The account is locked and read again
   * first: deleted, disabled or two-factor off meanwhile, the login fails as a wrong password would.
   */
  async challenge (user: UserRow): Promise<MfaChallenge> {
    const { store } = this.#deps
    const token = randomBytes(32).toString('base64url')
    const now = Date.now()
    await store.transaction(async tx => {
      if (await this.#lockUser(user.id, true, tx) === undefined) throw new InvalidCredentials()
      await tx.insert(store.tables.mfaChallenges).values({
        tokenHash: digest(token),
        userId: user.id,
        passwordDigest: digest(user.passwordHash),
        createdAt: new Date(now),
        expiresAt: new Date(now + MFA_CHALLENGE_TTL * 1000)
      })
    })
    return { mfaRequired: true, mfaToken: token, methods: ['totp', 'recovery_code'], expiresIn: MFA_CHALLENGE_TTL }
  }

  /** The user a live challenge belongs to; undefined for an unknown, spent, expired or exhausted one. */
  async challengedUser (token: string, now = Date.now()): Promise<string | undefined> {
    const { mfaChallenges } = this.#deps.store.tables
    const [row] = await this.#deps.store.db.select({ userId: mfaChallenges.userId }).from(mfaChallenges)
      .where(and(eq(mfaChallenges.tokenHash, digest(token)), this.#challengeLive(now)))
    return row?.userId
  }

  /**
   * Spends one try of a challenge in `tx`, and the challenge itself when `proof` is right. The try counts
   * whatever the outcome, so the caller commits a wrong code's try rather than rolling it back.
   */
  async answer (
    token: string, proof: SecondFactorProof, tx: Executor, now = Date.now()
  ): Promise<'invalid_token' | 'wrong_code' | { user: UserRow, method: 'totp' | 'recovery_code' }> {
    const { store } = this.#deps
    const { mfaChallenges } = store.tables
    const tokenHash = digest(token)
    const [challenge] = await tx.select().from(mfaChallenges).where(eq(mfaChallenges.tokenHash, tokenHash))
    if (challenge === undefined) return 'invalid_token'
    // The account first, as every writer to it locks it: still enabled, still two-factor, same password.
    const user = await this.#lockUser(challenge.userId, true, tx)
    if (user === undefined || digest(user.passwordHash) !== challenge.passwordDigest) return 'invalid_token'
    const tried = store.changes(await tx.update(mfaChallenges).set({ attempts: sql`${mfaChallenges.attempts} + 1` })
      .where(and(eq(mfaChallenges.tokenHash, tokenHash), this.#challengeLive(now))))
    if (tried === 0) return 'invalid_token'
    const method = proof.code !== undefined ? 'totp' : 'recovery_code'
    const right = proof.code !== undefined
      ? await this.#factors.acceptTotp(user.id, proof.code, now, tx)
      : await this.#factors.acceptRecoveryCode(user.id, proof.recoveryCode ?? '', now, tx)
    if (!right) return 'wrong_code'
    await tx.update(mfaChallenges).set({ usedAt: new Date(now) }).where(eq(mfaChallenges.tokenHash, tokenHash))
    return { user, method }
  }

  /** Deletes spent and expired challenges. */
  async prune (now = Date.now()): Promise<number> {
    const { mfaChallenges } = this.#deps.store.tables
    return this.#deps.store.changes(await this.#deps.store.write(db => db.delete(mfaChallenges)
      .where(or(isNotNull(mfaChallenges.usedAt), lte(mfaChallenges.expiresAt, new Date(now))))))
  }

  #challengeLive (now: number) {
    const { mfaChallenges } = this.#deps.store.tables
    return and(
      isNull(mfaChallenges.usedAt), gt(mfaChallenges.expiresAt, new Date(now)),
      lt(mfaChallenges.attempts, CHALLENGE_ATTEMPTS)
    )
  }

  /**
   * A signed-in user's operation that takes a code: throttled like a password change, so a session cannot
   * guess codes faster than passwords. `work` answers whether the code was right; when not, nothing is written.
   */
  async #withCode (userId: string, client: ClientInfo, work: (tx: Executor, now: number) => Promise<boolean>) {
    const { store, throttle } = this.#deps
    const identifier = `user:${userId}`
    await throttle.attempt(identifier)
    await store.transaction(async tx => {
      if (await this.#lockUser(userId, true, tx) === undefined) throw new MfaConflict('Two-factor sign-in is off')
      if (!await work(tx, Date.now())) throw new WrongSecondFactor()
    })
    await throttle.reset(identifier)
  }

  async #turnOff (
    userId: string, tx: Executor,
    event: { type: 'mfa_disabled' | 'mfa_reset', sessionId?: string, actorId?: string, client: ClientInfo }
  ): Promise<void> {
    const { store, events, mail } = this.#deps
    const { users, mfaTotp, mfaRecoveryCodes, mfaChallenges } = store.tables
    const now = new Date()
    const [user] = await tx.update(users).set({ mfaEnabledAt: null, updatedAt: now }).where(eq(users.id, userId))
      .returning({ email: users.email, name: users.name })
    await tx.delete(mfaTotp).where(eq(mfaTotp.userId, userId))
    await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId))
    await tx.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId))
    await events.record({ ...event, userId }, tx)
    if (user !== undefined) {
      await mail.enqueue({
        to: user.email,
        template: 'mfa-disabled',
        purpose: event.type,
        userId,
        data: { name: user.name ?? '', byAdmin: event.type === 'mfa_reset' ? 'yes' : '' }
      }, tx)
    }
  }

  /**
   * Locks the account's row for the transaction and re-reads it: undefined unless it is enabled and its
   * two-factor is `on` as expected. Every path that changes the factor takes the row first, so none deadlock.
   */
  async #lockUser (userId: string, on: boolean, tx: Executor): Promise<UserRow | undefined> {
    const { users } = this.#deps.store.tables
    const [user] = await tx.update(users).set({ mfaEnabledAt: sql`${users.mfaEnabledAt}` })
      .where(and(
        eq(users.id, userId), isNull(users.disabledAt), on ? isNotNull(users.mfaEnabledAt) : isNull(users.mfaEnabledAt)
      ))
      .returning()
    return user
  }
}

/** Login challenges' tokens and proven password hashes are kept as SHA-256 digests. */
function digest (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
