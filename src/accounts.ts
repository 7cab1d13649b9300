/** Registration and login: the flows that check credentials and start sessions. */
import { randomUUID } from 'node:crypto'
import type { Executor, Store } from './db/index.js'
import type { Account, UserRow } from './db/schema.js'
import { EmailTaken, InvalidCredentials, invalidInput, InvalidToken, LogoutUnidentified, NotFound, RoleNotAllowed, UsernameTaken } from './errors.js'
import type { Passwords } from './passwords.js'
import type { ClientInfo, Sessions } from './sessions.js'
import type { AuthEvents } from './events.js'
import type { LoginThrottle, SignupCapacity } from './throttle.js'
import { normalizeEmail, normalizeUsername, type ProfileChanges, toPublicUser, usernameKey, type Users } from './users.js'
import type { LoginBody, RegisterBody } from '../schemas/auth.js'
import type { User } from '../schemas/user.js'

/** The claims this service puts in an access token; `iat`, `exp`, `iss` and `aud` are added by the signer. */
export interface AccessClaims {
  sub: string
  role: string
  sid: string
  jti: string
}

export interface TokenPair {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
}

export interface AuthResult extends TokenPair {
  user: User
}

/** What any new account is made from. */
type NewUser = Omit<RegisterBody, 'role'>

export interface AccountsOptions {
  store: Store
  users: Users
  sessions: Sessions
  passwords: Passwords
  signAccessToken: (claims: AccessClaims) => string
  /** Seconds. */
  accessTokenTtl: number
  signupRoles: readonly string[]
  throttle: LoginThrottle
  /** Absent when rate limiting is disabled. */
  signupCapacity?: SignupCapacity
  events: AuthEvents
}

export class Accounts {
  readonly #options: AccountsOptions

  constructor (options: AccountsOptions) {
    this.#options = options
  }

  /** Signup: a new account with a role from SIGNUP_ROLES, signed in at once. */
  async register (input: RegisterBody, client: ClientInfo): Promise<AuthResult> {
    const { users, signupRoles } = this.#options
    const role = input.role ?? signupRoles[0] as string
    const capacity = this.#options.signupCapacity
    let took = false
    try {
      const values = await this.#newUser(input, () => {
        if (!signupRoles.includes(role)) throw new RoleNotAllowed(role, signupRoles.join(', '))
      }, async () => {
        await capacity?.take()
        took = true
      })
      return await this.#startSession(client, 'register', tx => users.insert(tx, { ...values, role }))
    } catch (error) {
      // No account was made (the hash failed, or the email or username was taken meanwhile): the
      // slot is given back. The original error is what the client must see: a release that
      // fails (Redis unreachable) only leaves the cap stricter until its window ends.
      if (took) await capacity?.release().catch(() => {})
      throw error
    }
  }

  /** An account made by an operator (the CLI), with any role, admin included, and no session. */
  async createUser (input: NewUser & { role: string }): Promise<User> {
    const { store, users, events } = this.#options
    const values = await this.#newUser(input, () => {}, async () => {})
    return toPublicUser(await store.transaction(async tx => {
      const user = await users.insert(tx, { ...values, role: input.role })
      await events.record({ type: 'user_created', userId: user.id, reason: `role: ${user.role}` }, tx)
      return user
    }))
  }

  /**
   * Checks and prepares a new account: the same rules for signup and the CLI. `checkRole` runs
   * after the input checks, the cheap uniqueness checks next, then the load check, and `beforeHash` last, just
   * before the expensive hash.
   */
  async #newUser (input: NewUser, checkRole: () => void, beforeHash: () => Promise<void>) {
    const { users, passwords } = this.#options
    const email = normalizeEmail(input.email)
    const username = input.username === undefined ? undefined : normalizeUsername(input.username)
    const name = input.name?.trim()
    if (name === '') throw invalidInput([{ path: '/name', message: 'must not be blank' }])
    if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
      throw invalidInput([{ path: '/confirmPassword', message: 'must equal password' }])
    }
    checkRole()

    // Cheap early answers; the unique indexes remain the real guard against races.
    if (await users.findByEmail(email.email) !== undefined) throw new EmailTaken()
    if (username !== undefined && await users.findByUsername(username.username) !== undefined) throw new UsernameTaken()
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
      email: email.email,
      emailKey: email.key,
      username: username?.username ?? null,
      usernameKey: username?.key ?? null,
      name: name ?? null,
      metadata: input.metadata ?? {},
      passwordHash: await passwords.hash(input.password, admission),
      createdAt: now,
      updatedAt: now
    }
  }

  async login (input: LoginBody, client: ClientInfo): Promise<AuthResult> {
    const { users, passwords, throttle } = this.#options
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
      if (locked) await this.#options.events.record({ type: 'login_locked', userId: user?.id, client })
    } catch (error) {
      admission.release()
      throw error
    }
    // Unknown users are checked against a dummy hash, so both failures take the same time.
    const valid = await passwords.verify(input.password, user?.passwordHash, admission)
    // A disabled account gets the very answer of a wrong password, after the same work, and counts alike.
    if (user === undefined || !valid || user.disabledAt !== null) {
      const reason = user === undefined ? 'unknown_account' : valid ? 'disabled' : 'wrong_password'
      await this.#options.events.record({ type: 'login_failure', userId: user?.id, reason, client })
      throw new InvalidCredentials()
    }
    let checkedHash = user.passwordHash
    // After a change of BCRYPT_COST, each account moves to the new cost at its next login, so
    // that known accounts and unknown ones (checked against a dummy at the new cost) cost the same.
    if (passwords.needsRehash(checkedHash)) {
      const rehashed = await passwords.hash(input.password)
      if (await users.setPasswordHash(user.id, rehashed, undefined, checkedHash)) checkedHash = rehashed
    }
    // The password was checked while the event loop ran other requests: the session starts
    // only if the account is, at this moment, still enabled and of the password just checked.
    // The token then carries the role as it is now, not as it was read before the check.
    // Every identifier of the account starts over: its email and its username. Before the session
    // is written, so that a failure here (Redis unreachable) leaves nothing half-done.
    await throttle.reset(identifier, `email:${user.emailKey}`, `username:${user.usernameKey ?? ''}`)
    return this.#startSession(client, 'login_success', async tx => {
      // The account row is locked until the session is written (a no-op update; SQLite's write
      // lock already holds it), so a password change or a disable committed meanwhile is either
      // seen here or ends this session too.
      if (!await users.setPasswordHash(user.id, checkedHash, tx, checkedHash)) throw new InvalidCredentials()
      const current = await users.findById(user.id, tx)
      if (current === undefined || current.disabledAt !== null) throw new InvalidCredentials()
      return current
    })
  }

  /** Exchanges a refresh token for a new pair: see Sessions.refresh for rotation and reuse. */
  async refresh (refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const { sessions, events } = this.#options
    // The audit event is written in the refresh's own transaction: both commit, or neither.
    const refreshed = await sessions.refresh(refreshToken, (tx, outcome) => 'reused' in outcome
      ? events.record({ type: 'refresh_reuse_detected', userId: outcome.reused.userId, sessionId: outcome.reused.id, client }, tx)
      : events.record({ type: 'refresh', userId: outcome.account.id, sessionId: outcome.sessionId, client }, tx))
    return this.#tokens(refreshed.account, refreshed.sessionId, refreshed.refreshToken)
  }

  /**
   * Ends the session named by a live access token or by a refresh token (either suffices, so a
   * client whose access token has expired can still log out), or with `all` every session of
   * that user. A refresh token sent beside an access token is ended too, if it is the same user's.
   */
  async logout (input: { session?: { sessionId: string, userId: string }, refreshToken?: string, all?: boolean }, client: ClientInfo): Promise<void> {
    const { store, sessions, events } = this.#options
    const byRefreshToken = input.refreshToken === undefined ? undefined : await sessions.findByRefreshToken(input.refreshToken)
    const target = input.session ?? byRefreshToken
    if (target === undefined) throw new LogoutUnidentified()
    await store.transaction(async tx => {
      if (input.all === true) {
        await sessions.revokeAll(tx, target.userId)
      } else {
        await sessions.revoke(target.sessionId, undefined, undefined, tx)
        if (byRefreshToken !== undefined && byRefreshToken.userId === target.userId) await sessions.revoke(byRefreshToken.sessionId, undefined, undefined, tx)
      }
      await events.record({ type: 'logout', userId: target.userId, sessionId: target.sessionId, reason: input.all === true ? 'all_sessions' : null, client }, tx)
    })
  }

  /** Ends one of the user's own live sessions (from their list of devices); NOT_FOUND when there is no such live session. */
  async endSession (userId: string, sessionId: string, client: ClientInfo): Promise<void> {
    const { store, sessions, events } = this.#options
    await store.transaction(async tx => {
      if (!await sessions.revoke(sessionId, Date.now(), userId, tx)) throw new NotFound('Session')
      await events.record({ type: 'session_revoked', userId, sessionId, client }, tx)
    })
  }

  /** Changes the user's own profile fields, with the change's audit event in the same transaction. */
  async updateProfile (userId: string, sessionId: string, changes: ProfileChanges, client: ClientInfo): Promise<User> {
    const { store, users, events } = this.#options
    const user = await store.transaction(async tx => {
      const user = await users.updateProfile(userId, changes, tx)
      if (user === undefined) throw new NotFound('User')
      await events.record({ type: 'profile_change', userId, sessionId, reason: Object.keys(changes).sort().join(', '), client }, tx)
      return user
    })
    return toPublicUser(user)
  }

  /**
   * Changes the password of the user of `sessionId` after checking the current one, and ends
   * every other session of that user: a device that had the old password is signed out.
   */
  async changePassword (userId: string, sessionId: string, input: { currentPassword: string, newPassword: string, confirmNewPassword?: string }, client: ClientInfo): Promise<void> {
    const { store, users, sessions, passwords, throttle, events } = this.#options
    if (input.confirmNewPassword !== undefined && input.confirmNewPassword !== input.newPassword) {
      throw invalidInput([{ path: '/confirmNewPassword', message: 'must equal newPassword' }])
    }
    const user = await users.findById(userId)
    if (user === undefined) throw new InvalidToken()
    // A wrong current password is a failed attempt too, so a stolen access token is no
    // unthrottled way to guess the password. It has a key of its own: a stranger locking the
    // account's email at the login form must not stop its owner changing the password.
    const identifier = `user:${user.id}`
    const admission = passwords.admit()
    await throttle.attempt(identifier).catch((error: unknown) => {
      admission.release()
      throw error
    })
    if (!await passwords.verify(input.currentPassword, user.passwordHash, admission)) {
      await events.record({ type: 'login_failure', userId, sessionId, reason: 'wrong_current_password', client })
      throw new InvalidCredentials()
    }
    const passwordHash = await passwords.hash(input.newPassword)
    await throttle.reset(identifier)
    // Hashing yields the event loop: commit only if the calling session is still live and the
    // password is still the one just checked. Two sessions changing it at once cannot both win.
    await store.transaction(async tx => {
      if (!await users.setPasswordHash(user.id, passwordHash, tx, user.passwordHash)) throw new InvalidCredentials()
      // After the compare-and-set, which holds the account row: a session that began or ended meanwhile is seen.
      if (!await sessions.isLive(tx, sessionId, userId)) throw new InvalidToken()
      await sessions.revokeAll(tx, user.id, sessionId)
      await events.record({ type: 'password_change', userId, sessionId, client }, tx)
    })
  }

  /** Runs `findUser`, starts a session for that user and records `event`, in one transaction; then signs the access token. */
  async #startSession (client: ClientInfo, event: 'register' | 'login_success', findUser: (tx: Executor) => Promise<UserRow>): Promise<AuthResult> {
    const { store, sessions, events } = this.#options
    const { user, session } = await store.transaction(async tx => {
      const user = await findUser(tx)
      const session = await sessions.start(tx, user.id, client)
      await events.record({ type: event, userId: user.id, sessionId: session.sessionId, client }, tx)
      return { user, session }
    })
    return { user: toPublicUser(user), ...this.#tokens(user, session.sessionId, session.refreshToken) }
  }

  #tokens (account: Account, sessionId: string, refreshToken: string): TokenPair {
    const { signAccessToken, accessTokenTtl } = this.#options
    return {
      accessToken: signAccessToken({ sub: account.id, role: account.role, sid: sessionId, jti: randomUUID() }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessTokenTtl
    }
  }
}
