/** Signup and login, the flows that check credentials and start sessions, and accounts made by operators. */
import type { Executor, Store } from '../db/index.js'
import type { UserRow } from '../db/schema.js'
import type { EmailFlows } from '../email/flows.js'
import {
  EmailNotVerified, InvalidCredentials, InvalidMfaToken, InvalidSecondFactor, MfaRequired, RoleNotAllowed
} from '../errors.js'
import type { AuthEvents } from '../audit/events.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { SignupCapacity } from '../limits/signup-capacity.js'
import { type Mfa, type MfaChallenge, PASSWORD_AND_OTP, type SecondFactorProof } from '../mfa/mfa.js'
import type { PasswordBlocklist } from '../passwords/blocklist.js'
import type { Passwords } from '../passwords/passwords.js'
import type { ClientInfo } from '../sessions/client.js'
import type { Sessions, StartedSession } from '../sessions/sessions.js'
import type { AccessTokens } from '../tokens/access-tokens.js'
import { normalizeEmail, usernameKey } from './identity.js'
import { type NewUser, newUserValues, type NewUserValues } from './new-user.js'
import type { Users } from './users.js'
import { toPublicUser } from '../views.js'
import type { AuthResult, LoginBody, RegisterBody } from '../../schemas/auth.js'
import type { User } from '../../schemas/user.js'

export interface AccountsDependencies {
  store: Store
  users: Users
  sessions: Sessions
  passwords: Passwords
  /** New passwords: the common list, the account's details, the breach API. */
  blocklist: Pick<PasswordBlocklist, 'check'>
  accessTokens: AccessTokens
  events: AuthEvents
  throttle: LoginThrottle
  /** Absent when rate limiting is disabled. */
  signupCapacity?: SignupCapacity
  signupRoles: readonly string[]
  /** The verification message at signup; absent in the CLI's accounts made by operators. */
  emailFlows?: Pick<EmailFlows, 'atSignup' | 'wake'>
  /** EMAIL_VERIFICATION=required: no login before the address is proven. */
  requireVerifiedEmail: boolean
  /** The second factor of the accounts that have turned it on. */
  mfa: Pick<Mfa, 'challenge' | 'challengedUser' | 'answer'>
}

/** What a login comes to: signed in, or waiting for the second factor of an account that has it on. */
export type LoginOutcome = AuthResult | MfaChallenge

export class Accounts {
  readonly #deps: AccountsDependencies

  constructor (deps: AccountsDependencies) {
    this.#deps = deps
  }

  /** Signup: a new account with a role from SIGNUP_ROLES, signed in at once. */
  async register (input: Omit<RegisterBody, 'cookie'>, client: ClientInfo): Promise<AuthResult> {
    const result = await this.#signup(input, (values, role) => this.#startSession(
      client, 'register', tx => this.#deps.users.insert({ ...values, role }, tx),
      async (user, tx) => await this.#deps.emailFlows?.atSignup(user, client, tx)
    ))
    this.#deps.emailFlows?.wake()
    return result
  }

  /**
   * Signup without a session: for the older APIs whose clients sign in afterwards, and with
   * EMAIL_VERIFICATION=required, where the address is proven first.
   */
  async signUp (input: Omit<RegisterBody, 'cookie'>, client: ClientInfo): Promise<User> {
    const { store, events, emailFlows } = this.#deps
    const user = await this.#signup(input, async (values, role) => toPublicUser(await store.transaction(async tx => {
      const user = await this.#deps.users.insert({ ...values, role }, tx)
      await events.record({ type: 'register', userId: user.id, client }, tx)
      await emailFlows?.atSignup(user, client, tx)
      return user
    })))
    emailFlows?.wake()
    return user
  }

  /** The checks and the signup cap around a signup's writing of the account. */
  async #signup<T> (
    input: Omit<RegisterBody, 'cookie'>, write: (values: NewUserValues, role: string) => Promise<T>
  ): Promise<T> {
    const { signupRoles, signupCapacity } = this.#deps
    const role = input.role ?? signupRoles[0] as string
    let took = false
    try {
      const values = await newUserValues(this.#deps, input, () => {
        if (!signupRoles.includes(role)) throw new RoleNotAllowed(role, signupRoles.join(', '))
      }, async () => {
        await signupCapacity?.take()
        took = true
      })
      return await write(values, role)
    } catch (error) {
      // No account was made: the slot goes back. A failed release (Redis unreachable) only leaves the
      // cap stricter until its window ends; the client sees the original error.
      if (took) await signupCapacity?.release().catch(() => {})
      throw error
    }
  }

  /** An account made by an operator (the CLI), with any role, admin included, and no session. */
  async createUser (input: NewUser & { role: string }): Promise<User> {
    const { store, users, events } = this.#deps
    const values = await newUserValues(this.#deps, input, () => {}, async () => {})
    return toPublicUser(await store.transaction(async tx => {
      const user = await users.insert({ ...values, role: input.role }, tx)
      await events.record({ type: 'user_created', userId: user.id, reason: `role: ${user.role}` }, tx)
      return user
    }))
  }

  /**
   * Checks the password; an account with two-factor on then waits for its code (`MfaChallenge`), unless
   * `secondFactor` is false (the older APIs' clients, which cannot ask for one): then MFA_REQUIRED.
   */
  async login (input: Omit<LoginBody, 'cookie'>, client: ClientInfo): Promise<LoginOutcome>
  async login (input: Omit<LoginBody, 'cookie'>, client: ClientInfo, secondFactor: false): Promise<AuthResult>
  async login (input: Omit<LoginBody, 'cookie'>, client: ClientInfo, secondFactor = true): Promise<LoginOutcome> {
    const { users, passwords, throttle, events } = this.#deps
    const identifier = input.email !== undefined
      ? `email:${normalizeEmail(input.email).key}`
      : `username:${usernameKey(input.username as string)}`
    // Shed before anything is counted or read: a login turned away for load is no attempt.
    const admission = passwords.admit()
    let user: UserRow | undefined
    try {
      // Counted before the password is checked, so concurrent guesses are all counted.
      const locked = await throttle.attempt(identifier)
      user = input.email !== undefined
        ? await users.findByEmail(input.email)
        : await users.findByUsername(input.username as string)
      if (locked) await events.record({ type: 'login_locked', userId: user?.id, client })
    } catch (error) {
      admission.release()
      throw error
    }
    // An unknown user is checked against a dummy hash, so both failures take the same time.
    const valid = await passwords.verify(input.password, user?.passwordHash, admission)
    // A disabled account gets the answer of a wrong password, after the same work.
    if (user === undefined || !valid || user.disabledAt !== null) {
      const reason = user === undefined ? 'unknown_account' : valid ? 'disabled' : 'wrong_password'
      await events.record({ type: 'login_failure', userId: user?.id, reason, client })
      throw new InvalidCredentials()
    }
    let checkedHash = user.passwordHash
    // After a change of BCRYPT_COST, an account moves to the new cost at its next login, so that
    // known and unknown accounts (checked against a dummy at the new cost) take the same time.
    if (passwords.needsRehash(checkedHash)) {
      const rehashed = await passwords.hash(input.password)
      if (await users.setPasswordHash(user.id, rehashed, checkedHash)) checkedHash = rehashed
    }
    // Every identifier of the account starts over, before the session is written, so that a
    // failure here (Redis unreachable) leaves nothing half-done. Wrong second-factor codes are counted
    // under a key of their own (see loginWithCode), which a right password does not reset.
    await throttle.reset(...accountIdentifiers(user))
    // Only after the password is right (and counted as right: retrying does not lock the account), so that the
    // answer tells nothing to someone who does not know it.
    if (this.#deps.requireVerifiedEmail && user.emailVerifiedAt === null) {
      await events.record({ type: 'login_failure', userId: user.id, reason: 'email_not_verified', client })
      throw new EmailNotVerified()
    }
    // Bound to the hash as it is now (rehashed just above, maybe): a password change meanwhile ends it.
    const proven = { ...user, passwordHash: checkedHash }
    if (user.mfaEnabledAt !== null) return await this.#secondStep(proven, client, secondFactor)
    try {
      return await this.#startSession(client, 'login_success', async tx => {
        // Only if the account is still enabled and of the password checked. The no-op update locks its row
        // until the session is written, so a password change or a disable meanwhile is seen or ends it too.
        // The row is read again so that the token carries the role as it is now, not as read before the check.
        if (!await users.setPasswordHash(user.id, checkedHash, checkedHash, tx)) {
          throw new InvalidCredentials()
        }
        const current = await users.findById(user.id, tx)
        if (current === undefined || current.disabledAt !== null) throw new InvalidCredentials()
        // Two-factor turned on while the password was checked: that ended every session, and this one
        // must not begin with one factor.
        if (current.mfaEnabledAt !== null) throw TWO_FACTOR_NOW
        return current
      })
    } catch (error) {
      if (error !== TWO_FACTOR_NOW) throw error
      return await this.#secondStep(proven, client, secondFactor)
    }
  }

  /** The password of an account with two-factor on was right: its login waits for the code. */
  async #secondStep (user: UserRow, client: ClientInfo, secondFactor: boolean): Promise<MfaChallenge> {
    const { events, mfa } = this.#deps
    if (!secondFactor) {
      await events.record({ type: 'login_failure', userId: user.id, reason: 'mfa_unsupported_client', client })
      throw new MfaRequired('this client cannot ask for the code; sign in from an app that can')
    }
    const challenge = await mfa.challenge(user)
    await events.record({ type: 'login_mfa_required', userId: user.id, client })
    return challenge
  }

  /**
   * A login's second step: the code of the challenge the password step returned. Each code counts against
   * the account like a failed login, across every address, and the challenge ends after five tries.
   */
  async loginWithCode (mfaToken: string, proof: SecondFactorProof, client: ClientInfo): Promise<AuthResult> {
    const { store, users, throttle, events, accessTokens, mfa } = this.#deps
    const userId = await mfa.challengedUser(mfaToken)
    const user = userId === undefined ? undefined : await users.findById(userId)
    if (user === undefined) throw new InvalidMfaToken()
    // Counted before the code is checked, under a key of the account's own: across every address and
    // login, and apart from the failed passwords, so a stranger's wrong passwords cannot lock its owner out,
    // and neither a right password nor a reset by email starts the count over.
    const codeKey = secondFactorKey(user.id)
    await throttle.attempt(codeKey)
    const outcome = await store.transaction(async tx => {
      const answer = await mfa.answer(mfaToken, proof, tx)
      if (answer === 'invalid_token') return answer
      if (answer === 'wrong_code') {
        await events.record({ type: 'mfa_failure', userId: user.id, client }, tx)
        return answer
      }
      const session = await this.#openSession(answer.user, client, 'login_success', tx, PASSWORD_AND_OTP, answer.method)
      return { user: answer.user, session }
    })
    if (outcome === 'invalid_token') throw new InvalidMfaToken()
    if (outcome === 'wrong_code') throw new InvalidSecondFactor()
    // After the session is written: a failure to reset (Redis unreachable) only leaves the count to expire.
    await throttle.reset(codeKey).catch(() => {})
    const { session } = outcome
    return {
      user: toPublicUser(outcome.user),
      ...accessTokens.issue(outcome.user, session.sessionId, session.refreshToken, PASSWORD_AND_OTP)
    }
  }

  /**
   * Finds the user, starts a session, records `event` and does `then` (a signup's verification message) in one
   * transaction; then signs the access token.
   */
  async #startSession (
    client: ClientInfo, event: 'register' | 'login_success', findUser: (tx: Executor) => Promise<UserRow>,
    then?: (user: UserRow, tx: Executor) => Promise<void>
  ): Promise<AuthResult> {
    const { store, accessTokens } = this.#deps
    const { user, session } = await store.transaction(async tx => {
      const user = await findUser(tx)
      const session = await this.#openSession(user, client, event, tx)
      await then?.(user, tx)
      return { user, session }
    })
    return { user: toPublicUser(user), ...accessTokens.issue(user, session.sessionId, session.refreshToken, ['pwd']) }
  }

  /** A new session of `user`, signed in with `amr`, and its audit event. */
  async #openSession (
    user: UserRow, client: ClientInfo, event: 'register' | 'login_success', tx: Executor,
    amr: readonly string[] = ['pwd'], reason?: string
  ): Promise<StartedSession> {
    const session = await this.#deps.sessions.start(user.id, client, tx, amr)
    await this.#deps.events.record({ type: event, userId: user.id, sessionId: session.sessionId, reason, client }, tx)
    return session
  }
}

/** Thrown inside a login's transaction to leave it for the second step. */
const TWO_FACTOR_NOW = new Error('two-factor is on')

/** The throttle's key of an account's wrong second-factor codes. */
function secondFactorKey (userId: string): string {
  return `mfa:${userId}`
}

/** Every identifier a login may name the account by: all start over when it signs in. */
function accountIdentifiers (user: Pick<UserRow, 'emailKey' | 'usernameKey'>): string[] {
  return [`email:${user.emailKey}`, `username:${user.usernameKey ?? ''}`]
}
