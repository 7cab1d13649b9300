/** Signup and login, the flows that check credentials and start sessions, and accounts made by operators. */
import { randomUUID } from 'node:crypto'
import type { Executor, Store } from '../db/index.js'
import type { UserRow } from '../db/schema.js'
import type { EmailFlows } from '../email/flows.js'
import {
  EmailNotVerified, EmailTaken, InvalidCredentials, invalidInput, RoleNotAllowed, UsernameTaken
} from '../errors.js'
import type { AuthEvents } from '../audit/events.js'
import type { LoginThrottle } from '../limits/login-throttle.js'
import type { SignupCapacity } from '../limits/signup-capacity.js'
import type { PasswordBlocklist } from '../passwords/blocklist.js'
import type { Passwords } from '../passwords/passwords.js'
import type { ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import type { AccessTokens } from '../tokens/access-tokens.js'
import { identityColumns, normalizeEmail, normalizeUsername, usernameKey } from './identity.js'
import type { Users } from './users.js'
import { toPublicUser } from '../views.js'
import type { AuthResult, LoginBody, RegisterBody } from '../../schemas/auth.js'
import { Name } from '../../schemas/common.js'
import type { User } from '../../schemas/user.js'

type NewUser = Omit<RegisterBody, 'role' | 'cookie'>
const NAME_MAX_LENGTH = Name.maxLength as number

/** A checked new account, its password hashed, but for its role. */
type NewUserValues = Omit<UserRow, 'role' | 'disabledAt' | 'emailVerifiedAt'>

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
}

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
      const values = await this.#newUser(input, () => {
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
    const values = await this.#newUser(input, () => {}, async () => {})
    return toPublicUser(await store.transaction(async tx => {
      const user = await users.insert({ ...values, role: input.role }, tx)
      await events.record({ type: 'user_created', userId: user.id, reason: `role: ${user.role}` }, tx)
      return user
    }))
  }

  /** Checks and prepares a new account, with the same rules for signup and the CLI; the costly hash comes last. */
  async #newUser (input: NewUser, checkRole: () => void, beforeHash: () => Promise<void>): Promise<NewUserValues> {
    const { users, passwords, blocklist } = this.#deps
    const email = normalizeEmail(input.email)
    const username = input.username === undefined ? undefined : normalizeUsername(input.username)
    const name = input.name?.trim()
    if (name === '') throw invalidInput([{ path: '/name', message: 'must not be blank' }])
    // Checked by the schema of the service's own routes; a name made of parts (the LMS's) is checked here.
    if (name !== undefined && name.length > NAME_MAX_LENGTH) {
      throw invalidInput([{ path: '/name', message: `must NOT have more than ${NAME_MAX_LENGTH} characters` }])
    }
    if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
      throw invalidInput([{ path: '/confirmPassword', message: 'must equal password' }])
    }
    checkRole()
    // The body's own problems come before conflicts with other accounts (which a weak password must not wait
    // for), and the breach API is asked before a place in the hash queue is held.
    await blocklist.check(input.password, { email: email.email, username: username?.username, name })

    // Early answers; the unique indexes remain the real guard against races.
    if (await users.findByEmail(email.email) !== undefined) throw new EmailTaken()
    if (username !== undefined && await users.findByUsername(username.username) !== undefined) {
      throw new UsernameTaken()
    }
    const admission = passwords.admit()
    try {
      await beforeHash()
    } catch (error) {
      admission.release()
      throw error
    }

    const now = new Date()
    return {
      id: randomUUID(),
      ...identityColumns(email, username),
      name: name ?? null,
      metadata: input.metadata ?? {},
      passwordHash: await passwords.hash(input.password, admission),
      createdAt: now,
      updatedAt: now
    }
  }

  async login (input: Omit<LoginBody, 'cookie'>, client: ClientInfo): Promise<AuthResult> {
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
    // failure here (Redis unreachable) leaves nothing half-done.
    await throttle.reset(identifier, `email:${user.emailKey}`, `username:${user.usernameKey ?? ''}`)
    // Only after the password is right (and counted as right: retrying does not lock the account), so that the
    // answer tells nothing to someone who does not know it.
    if (this.#deps.requireVerifiedEmail && user.emailVerifiedAt === null) {
      await events.record({ type: 'login_failure', userId: user.id, reason: 'email_not_verified', client })
      throw new EmailNotVerified()
    }
    return this.#startSession(client, 'login_success', async tx => {
      // Only if the account is still enabled and of the password checked. The no-op update locks its row
      // until the session is written, so a password change or a disable meanwhile is seen or ends it too.
      // The row is read again so that the token carries the role as it is now, not as read before the check.
      if (!await users.setPasswordHash(user.id, checkedHash, checkedHash, tx)) {
        throw new InvalidCredentials()
      }
      const current = await users.findById(user.id, tx)
      if (current === undefined || current.disabledAt !== null) throw new InvalidCredentials()
      return current
    })
  }

  /**
   * Finds the user, starts a session, records `event` and does `then` (a signup's verification message) in one
   * transaction; then signs the access token.
   */
  async #startSession (
    client: ClientInfo, event: 'register' | 'login_success', findUser: (tx: Executor) => Promise<UserRow>,
    then?: (user: UserRow, tx: Executor) => Promise<void>
  ): Promise<AuthResult> {
    const { store, sessions, events, accessTokens } = this.#deps
    const { user, session } = await store.transaction(async tx => {
      const user = await findUser(tx)
      const session = await sessions.start(user.id, client, tx)
      await events.record({ type: event, userId: user.id, sessionId: session.sessionId, client }, tx)
      await then?.(user, tx)
      return { user, session }
    })
    return { user: toPublicUser(user), ...accessTokens.issue(user, session.sessionId, session.refreshToken) }
  }
}
