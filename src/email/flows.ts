/**
 * The flows that prove an address: verification and password reset. A request endpoint answers before it
 * looks anything up (the work goes on in the background), so an unknown address costs the same time and gets
 * the same answer as a known one. Each message is written to the outbox in the transaction of its code.
 */
import type { FastifyBaseLogger } from 'fastify'
import { and, eq, isNull } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Executor, Store } from '../db/index.js'
import type { UserRow } from '../db/schema.js'
import { normalizeEmail } from '../accounts/identity.js'
import { InvalidCode, invalidInput } from '../errors.js'
import type { SignupCapacity } from '../limits/signup-capacity.js'
import type { MailService, TemplateName } from '../mail/mail.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { PasswordBlocklist } from '../passwords/blocklist.js'
import type { Passwords } from '../passwords/passwords.js'
import type { ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import type { Users } from '../accounts/users.js'
import type { CodePurpose, ConsumedCode, EmailCodes } from './codes.js'
import type { User } from '../../schemas/user.js'

/** One message per address and purpose per minute: a resend sooner is silently dropped. */
const RESEND_SPACING_MS = 60_000

/** What the flows need of the mail service: a message in the caller's transaction, and a nudge after it. */
type Mailer = Pick<MailService, 'enqueue' | 'wake'>

export interface EmailFlowsDependencies {
  store: Store
  users: Users
  sessions: Sessions
  passwords: Passwords
  blocklist: Pick<PasswordBlocklist, 'check' | 'checkLocally'>
  codes: EmailCodes
  events: AuthEvents
  throttle: LoginThrottle
  mail: Mailer
  /** The service-wide cap on messages (MAIL_CAPACITY); absent when rate limiting is disabled. */
  capacity?: SignupCapacity
  log: FastifyBaseLogger
  publicUrl: string
  codeTtl: number
  verificationTtl: number
  /** False with EMAIL_VERIFICATION=off: no verification message at signup. */
  verifyAtSignup: boolean
}

/** A code typed with the address it was sent to, or the token of the message's link. */
export type Proof = { email: string, code: string } | { token: string }

/** `3600` → `1 hour`, `86400` → `24 hours`, for the messages. */
function duration (seconds: number): string {
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.ceil(seconds / 60), 'minute']
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`
}

export class EmailFlows {
  readonly #deps: EmailFlowsDependencies
  /** Background work of the request endpoints, awaited by `settled` (and at close). */
  readonly #pending = new Set<Promise<void>>()

  constructor (deps: EmailFlowsDependencies) {
    this.#deps = deps
  }

  /** Deletes the codes used or expired. */
  prune (): Promise<number> {
    return this.#deps.codes.prune()
  }

  /** Resolves once the background work started so far is done. */
  async settled (): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
  }

  /**
   * Runs `work` once the request's answer is on its way (the next turn of the event loop: SQLite's queries are
   * synchronous, and would otherwise delay the answer for a known address only).
   */
  #later (work: () => Promise<void>): void {
    const done = new Promise(resolve => setImmediate(resolve)).then(work).catch((error: unknown) => {
      this.#deps.log.error({ err: error }, 'email request failed')
    }).finally(() => this.#pending.delete(done))
    this.#pending.add(done)
  }

  /**
   * Runs `send` (a transaction that may send a message) within MAIL_CAPACITY: a slot is taken before it (Redis is
   * never awaited inside a transaction) and given back when it sent nothing. Past the cap nothing runs, and the
   * audit trail says so. Resolves whether a message was stored.
   */
  async capped (userId: string, purpose: CodePurpose, send: () => Promise<boolean>): Promise<boolean> {
    const { capacity, events } = this.#deps
    try {
      await capacity?.take()
    } catch (error) {
      if ((error as { code?: string }).code !== 'SIGNUP_CAPACITY_REACHED') throw error
      await events.record({ type: 'mail_capacity_reached', userId, reason: purpose })
      return false
    }
    let sent = false
    try {
      sent = await send()
    } finally {
      if (!sent) await capacity?.release().catch(() => {})
    }
    return sent
  }

  /**
   * Issues a code of `purpose` to `to` and writes its message, within `tx`; false when none was sent (one
   * went out less than a minute ago).
   */
  async sendCode (
    user: UserRow, purpose: CodePurpose, to: string, template: TemplateName, ttl: number, page: string, tx: Executor,
    data: Record<string, string> = {}
  ): Promise<boolean> {
    const { codes, mail, publicUrl } = this.#deps
    const issued = await codes.issue(user.id, purpose, to, ttl, RESEND_SPACING_MS, tx)
    if (issued === undefined) return false
    const { code, token } = issued
    const link = `${publicUrl}/${page}#token=${token}`
    await mail.enqueue({
      to, template, purpose, userId: user.id, data: { name: user.name ?? '', code, link, expiresIn: duration(ttl), ...data }
    }, tx)
    return true
  }

  /**
   * At signup, in its transaction: the verification message (unless EMAIL_VERIFICATION=off). Not counted against
   * MAIL_CAPACITY: SIGNUP_CAPACITY already bounds signups, and a signup's message must not be dropped.
   */
  async atSignup (user: UserRow, client: ClientInfo, tx: Executor): Promise<void> {
    if (!this.#deps.verifyAtSignup) return
    if (await this.#sendVerification(user, tx)) {
      await this.#deps.events.record({ type: 'email_verification_requested', userId: user.id, client }, tx)
    }
  }

  /** After the transaction of `atSignup` has committed. */
  wake (): void {
    this.#deps.mail.wake()
  }

  #sendVerification (user: UserRow, tx: Executor): Promise<boolean> {
    const { verificationTtl } = this.#deps
    return this.sendCode(user, 'verify_email', user.email, 'verify-email', verificationTtl, 'verify-email', tx)
  }

  /** A new verification message, if `email` is an account's and not yet verified; answered before it is known. */
  requestVerification (email: string, client: ClientInfo): void {
    this.#later(async () => {
      const { store, users, events, mail } = this.#deps
      const user = await users.findByEmail(email)
      if (user === undefined || user.emailVerifiedAt !== null || user.disabledAt !== null) return
      const sent = await this.capped(user.id, 'verify_email', () => store.transaction(async tx => {
        if (!await this.#sendVerification(user, tx)) return false
        await events.record({ type: 'email_verification_requested', userId: user.id, client }, tx)
        return true
      }))
      if (sent) mail.wake()
    })
  }

  /** A password-reset message, if `email` is an account's; answered before it is known. */
  requestReset (email: string, client: ClientInfo): void {
    this.#later(async () => {
      const { store, users, events, mail, codeTtl } = this.#deps
      const user = await users.findByEmail(email)
      if (user === undefined || user.disabledAt !== null) return
      const sent = await this.capped(user.id, 'reset_password', () => store.transaction(async tx => {
        if (!await this.sendCode(user, 'reset_password', user.email, 'reset-password', codeTtl, 'reset-password', tx)) {
          return false
        }
        await events.record({ type: 'password_reset_requested', userId: user.id, client }, tx)
        return true
      }))
      if (sent) mail.wake()
    })
  }

  /**
   * Returns what consumes a proof of `purpose` in a transaction. A code is tried against the account of its
   * address, looked up first, outside the transaction (which must hold its one connection only); a wrong one
   * counts against it. The caller throws INVALID_CODE after its transaction, so that the count is kept.
   */
  async #consumer (
    purpose: CodePurpose, proof: Proof
  ): Promise<(tx: Executor) => Promise<ConsumedCode | undefined>> {
    const { users, codes } = this.#deps
    if ('token' in proof) return async tx => await codes.consumeToken(purpose, proof.token, tx)
    const user = await users.findByEmail(proof.email)
    return async tx => user === undefined ? undefined : await codes.consumeCode(user.id, purpose, proof.code, tx)
  }

  /**
   * A typed code counts against its address as a failed login does, under the same key: guessing codes is no
   * way around the login throttle. A link's token (256 bits) needs no such count.
   */
  async #throttle (proof: Proof): Promise<string | undefined> {
    if ('token' in proof) return undefined
    const identifier = `email:${normalizeEmail(proof.email).key}`
    await this.#deps.throttle.attempt(identifier)
    return identifier
  }

  /** Marks the address verified; the user as they now are. */
  async verify (proof: Proof, client: ClientInfo): Promise<User> {
    const { store, users, events, throttle } = this.#deps
    const identifier = await this.#throttle(proof)
    const consume = await this.#consumer('verify_email', proof)
    const user = await store.transaction(async tx => {
      const consumed = await consume(tx)
      if (consumed === undefined) return undefined
      const { users: table } = store.tables
      // Only while the account still has the address the code was sent to.
      const [row] = await tx.update(table).set({ emailVerifiedAt: new Date() })
        .where(and(eq(table.id, consumed.userId), eq(table.email, consumed.email), isNull(table.disabledAt)))
        .returning()
      if (row === undefined) return undefined
      await events.record({ type: 'email_verified', userId: row.id, client }, tx)
      return row
    })
    if (user === undefined) throw new InvalidCode()
    // The address is proven: its failed logins and codes start over, however it was proven.
    await throttle.reset(identifier ?? `email:${user.emailKey}`, `username:${user.usernameKey ?? ''}`)
    return users.view(user)
  }

  /**
   * Sets a new password with a reset code: consumed at most once however many try it together. The address is
   * then proven; every session ends; a notice goes to the address.
   */
  async reset (proof: Proof, newPassword: string, confirmation: string | undefined, client: ClientInfo): Promise<void> {
    const { store, sessions, passwords, blocklist, events, mail, throttle } = this.#deps
    if (confirmation !== undefined && confirmation !== newPassword) {
      throw invalidInput([{ path: '/confirmNewPassword', message: 'must equal newPassword' }])
    }
    // Before the hash: the list, the breach API and the address the caller typed. The account's other details
    // only once its code has proven the caller, in the transaction below: a wrong code must not tell them.
    await blocklist.check(newPassword, 'email' in proof ? { email: proof.email } : {})
    const admission = passwords.admit()
    let identifier
    try {
      identifier = await this.#throttle(proof)
    } catch (error) {
      admission.release()
      throw error
    }
    // Hashed first: the transaction awaits nothing but its own queries.
    const passwordHash = await passwords.hash(newPassword, admission)
    const consume = await this.#consumer('reset_password', proof)
    const user = await store.transaction(async tx => {
      const consumed = await consume(tx)
      if (consumed === undefined) return undefined
      const { users: table } = store.tables
      const account = await this.#deps.users.findById(consumed.userId, tx)
      // Throws, so that the code is not spent: it may be used again with another password.
      if (account !== undefined) blocklist.checkLocally(newPassword, account)
      const [row] = await tx.update(table).set({ passwordHash, emailVerifiedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(table.id, consumed.userId), eq(table.email, consumed.email), isNull(table.disabledAt)))
        .returning()
      if (row === undefined) return undefined
      await sessions.revokeAll(row.id, {}, tx)
      await events.record({ type: 'password_reset', userId: row.id, client }, tx)
      await mail.enqueue({
        to: row.email, template: 'password-changed', purpose: 'password_changed', userId: row.id, data: { name: row.name ?? '' }
      }, tx)
      return row
    })
    if (user === undefined) throw new InvalidCode()
    mail.wake()
    await throttle.reset(identifier ?? `email:${user.emailKey}`)
  }
}
