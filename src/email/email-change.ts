/**
 * Changing one's email address: a code goes to the new address, and only its owner can confirm the change.
 * Until then the account keeps its address, and logs in with it; after, the old address hears of it.
 */
import { and, eq, isNull } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Store } from '../db/index.js'
import { EmailTaken, InvalidCode, InvalidCredentials, invalidInput, InvalidToken } from '../errors.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { MailService } from '../mail/mail.js'
import type { Passwords } from '../passwords/passwords.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import { normalizeEmail } from '../accounts/identity.js'
import { uniqueViolation, type Users } from '../accounts/users.js'
import type { EmailCodes } from './codes.js'
import type { EmailFlows } from './flows.js'
import type { User } from '../../schemas/user.js'

export interface EmailChangeDependencies {
  store: Store
  users: Users
  passwords: Passwords
  codes: EmailCodes
  flows: Pick<EmailFlows, 'sendCode' | 'capped'>
  events: AuthEvents
  throttle: LoginThrottle
  mail: Pick<MailService, 'enqueue' | 'wake'>
  codeTtl: number
}

export class EmailChange {
  readonly #deps: EmailChangeDependencies

  constructor (deps: EmailChangeDependencies) {
    this.#deps = deps
  }

  /**
   * Checks the password (throttled as a password change is), then sends a code to the new address. An address
   * that is another account's is EMAIL_TAKEN, as at signup, which already tells it.
   */
  async request (actor: Actor, input: { newEmail: string, password: string }, client: ClientInfo): Promise<void> {
    const { store, users, passwords, throttle, events, flows, mail, codeTtl } = this.#deps
    const user = await users.findById(actor.userId)
    if (user === undefined) throw new InvalidToken()
    const email = normalizeEmail(input.newEmail)
    if (email.key === user.emailKey) throw invalidInput([{ path: '/newEmail', message: 'is already your address' }])
    const identifier = `user:${user.id}`
    const admission = passwords.admit()
    await throttle.attempt(identifier).catch((error: unknown) => {
      admission.release()
      throw error
    })
    if (!await passwords.verify(input.password, user.passwordHash, admission)) {
      await events.record({ type: 'login_failure', userId: user.id, sessionId: actor.sessionId, reason: 'wrong_current_password', client })
      throw new InvalidCredentials()
    }
    await throttle.reset(identifier)
    if (await users.findByEmail(email.email) !== undefined) throw new EmailTaken()
    const sent = await flows.capped(user.id, 'change_email', () => store.transaction(async tx => {
      const sent = await flows.sendCode(
        user, 'change_email', email.email, 'change-email', codeTtl, 'change-email', tx, { newEmail: email.email }
      )
      if (sent) await events.record({ type: 'email_change_requested', userId: user.id, sessionId: actor.sessionId, client }, tx)
      return sent
    }))
    if (sent) mail.wake()
  }

  /** With the code or the link's token sent to the new address: the account moves to it, verified. */
  async confirm (actor: Actor, proof: { code: string } | { token: string }, client: ClientInfo): Promise<User> {
    const { store, users, codes, throttle, events, mail } = this.#deps
    const user = await users.findById(actor.userId)
    if (user === undefined) throw new InvalidToken()
    // A typed code counts against the account as a failed login does.
    const identifier = 'code' in proof ? `email:${user.emailKey}` : undefined
    if (identifier !== undefined) await throttle.attempt(identifier)
    const changed = await store.transaction(async tx => {
      const consumed = 'code' in proof
        ? await codes.consumeCode(user.id, 'change_email', proof.code, tx)
        : await codes.consumeToken('change_email', proof.token, tx, user.id)
      if (consumed === undefined) return undefined
      const { users: table } = store.tables
      const email = normalizeEmail(consumed.email)
      const now = new Date()
      let row
      try {
        [row] = await tx.update(table)
          .set({ email: email.email, emailKey: email.key, emailVerifiedAt: now, updatedAt: now })
          .where(and(eq(table.id, user.id), eq(table.emailKey, user.emailKey), isNull(table.disabledAt)))
          .returning()
      } catch (error) {
        throw uniqueViolation(error)
      }
      if (row === undefined) return undefined
      await events.record({ type: 'email_changed', userId: user.id, sessionId: actor.sessionId, client }, tx)
      // The old address hears of it: its owner may not be the one who changed it.
      await mail.enqueue({
        to: user.email,
        template: 'email-changed',
        purpose: 'email_changed',
        userId: user.id,
        data: { name: user.name ?? '', newEmail: row.email }
      }, tx)
      return row
    })
    if (changed === undefined) throw new InvalidCode()
    mail.wake()
    if (identifier !== undefined) await throttle.reset(identifier)
    return users.view(changed)
  }
}
