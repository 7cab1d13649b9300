/** Changes users make to their own account: the profile fields and the password. */
import type { Store } from '../db/index.js'
import type { UserRow } from '../db/schema.js'
import { InvalidCredentials, invalidInput, InvalidToken, NotFound } from '../errors.js'
import type { AuthEvents } from '../audit/events.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { MailService } from '../mail/mail.js'
import type { PasswordBlocklist } from '../passwords/blocklist.js'
import type { Passwords } from '../passwords/passwords.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import { toPublicUser } from '../views.js'
import type { ProfileChanges, Users } from './users.js'
import type { User } from '../../schemas/user.js'

export interface ProfileDependencies {
  store: Store
  users: Users
  sessions: Sessions
  passwords: Passwords
  blocklist: Pick<PasswordBlocklist, 'check'>
  events: AuthEvents
  throttle: LoginThrottle
  /** The notice of a changed password. */
  mail: Pick<MailService, 'enqueue' | 'wake'>
}

export class Profile {
  readonly #deps: ProfileDependencies

  constructor (deps: ProfileDependencies) {
    this.#deps = deps
  }

  /** Changes the user's own profile fields, with the change's audit event in the same transaction. */
  async update ({ userId, sessionId }: Actor, changes: ProfileChanges, client: ClientInfo): Promise<User> {
    const { store, users, events } = this.#deps
    const user = await store.transaction(async tx => {
      const user = await users.updateProfile(userId, changes, tx)
      if (user === undefined) throw new NotFound('User')
      const reason = Object.keys(changes).sort().join(', ')
      await events.record({ type: 'profile_change', userId, sessionId, reason, client }, tx)
      return user
    })
    return toPublicUser(user)
  }

  /**
   * The user's current password, asked again before a change of their sign-in: INVALID_CREDENTIALS when wrong.
   * Throttled, so a stolen access token is no unthrottled way to guess the password; under a key of its own,
   * so a stranger locking the email at the login form cannot stop its owner changing it.
   */
  async checkPassword (user: UserRow, password: string, { userId, sessionId }: Actor, client: ClientInfo): Promise<void> {
    const { passwords, throttle, events } = this.#deps
    const identifier = `user:${user.id}`
    const admission = passwords.admit()
    await throttle.attempt(identifier).catch((error: unknown) => {
      admission.release()
      throw error
    })
    if (!await passwords.verify(password, user.passwordHash, admission)) {
      await events.record({ type: 'login_failure', userId, sessionId, reason: 'wrong_current_password', client })
      throw new InvalidCredentials()
    }
    await throttle.reset(identifier)
  }

  /** Changes the password after checking the current one, and signs out every other session of the user. */
  async changePassword (
    { userId, sessionId }: Actor,
    input: { currentPassword: string, newPassword: string, confirmNewPassword?: string },
    client: ClientInfo
  ): Promise<void> {
    const { store, users, sessions, passwords, blocklist, events, mail } = this.#deps
    if (input.confirmNewPassword !== undefined && input.confirmNewPassword !== input.newPassword) {
      throw invalidInput([{ path: '/confirmNewPassword', message: 'must equal newPassword' }])
    }
    const user = await users.findById(userId)
    if (user === undefined) throw new InvalidToken()
    // A problem of the body, like the confirmation: before the current password is tried, so that a
    // refused new password is no attempt against the throttle. The details it names are the caller's own.
    await blocklist.check(input.newPassword, user)
    await this.checkPassword(user, input.currentPassword, { userId, sessionId }, client)
    const passwordHash = await passwords.hash(input.newPassword)
    // Hashing yields the event loop: commit only if the session is still live and the password still the
    // one checked. Two sessions changing it at once cannot both win.
    await store.transaction(async tx => {
      if (!await users.setPasswordHash(user.id, passwordHash, user.passwordHash, tx)) {
        throw new InvalidCredentials()
      }
      // After the compare-and-set, which locks the account row: a session begun or ended meanwhile is seen.
      if (!await sessions.isLive(sessionId, userId, tx)) throw new InvalidToken()
      await sessions.revokeAll(user.id, { except: sessionId }, tx)
      await events.record({ type: 'password_change', userId, sessionId, client }, tx)
      // The owner hears of it, should it not be them.
      await mail.enqueue({
        to: user.email, template: 'password-changed', purpose: 'password_changed', userId, data: { name: user.name ?? '' }
      }, tx)
    })
    mail.wake()
  }
}
