/**
 * Passkeys (WebAuthn): added by a signed-in user, listed, renamed and deleted, and used to sign in without a
 * password or an account name (discoverable credentials: the passkey names the account). Each ceremony's
 * challenge is kept in the database, good once, for its kind of ceremony (and, for a registration, its user),
 * for five minutes.
 */
import { Buffer } from 'node:buffer'
import { createHash, randomUUID } from 'node:crypto'
import {
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, generateAuthenticationOptions,
  generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse, verifyRegistrationResponse
} from '@simplewebauthn/server'
import { and, asc, count, eq, gt, isNull, lte, sql } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Executor, Store } from '../db/index.js'
import type { PasskeyRow, UserRow } from '../db/schema.js'
import {
  EmailNotVerified, InvalidPasskey, invalidInput, InvalidToken, NotFound, PasskeyLimit, PasskeyRejected,
  PasskeysUnavailable
} from '../errors.js'
import { multiFactor } from '../mfa/mfa.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import type { AccessTokens } from '../tokens/access-tokens.js'
import { toPasskeyView, toPublicUser } from '../views.js'
import type { AuthResult } from '../../schemas/auth.js'
import {
  type Passkey, PASSKEY_CHALLENGE_TTL, PASSKEYS_MAX, type RegisterBody
} from '../../schemas/passkeys.js'
import type { PasskeyConfig } from './config.js'

/** Signature algorithms accepted: Ed25519, ES256 and RS256 (what every authenticator offers one of). */
const ALGORITHMS = [-8, -7, -257]

export interface PasskeyDependencies {
  store: Store
  sessions: Sessions
  events: AuthEvents
  accessTokens: AccessTokens
  config: PasskeyConfig
  /** EMAIL_VERIFICATION=required: no sign-in before the address is proven, whatever the factor. */
  requireVerifiedEmail: boolean
  /** The user's current password, checked and throttled as a password change checks it. */
  checkPassword: (user: UserRow, password: string, actor: Actor, client: ClientInfo) => Promise<void>
}

/** Why a sign-in failed, in the audit trail (and the metrics' reasons). */
type Failure = 'passkey_challenge' | 'unknown_passkey' | 'passkey_signature' | 'disabled'

export class Passkeys {
  readonly #deps: PasskeyDependencies

  constructor (deps: PasskeyDependencies) {
    this.#deps = deps
  }

  async list (userId: string): Promise<Passkey[]> {
    const { db, tables: { passkeys } } = this.#deps.store
    const rows = await db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt))
    return rows.map(toPasskeyView)
  }

  async count (userId: string, executor: Executor = this.#deps.store.db): Promise<number> {
    const { passkeys } = this.#deps.store.tables
    const [row] = await executor.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId))
    return Number(row?.n ?? 0)
  }

  /**
   * The options of a new passkey for the signed-in user. Its password is asked again, unless its session
   * proved two factors: a stolen access token alone must not be able to add a way into the account.
   */
  async registrationOptions (
    actor: Actor, amr: readonly string[] | undefined, password: string | undefined, client: ClientInfo
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { rpId, rpName } = this.#relyingParty()
    const { store, checkPassword } = this.#deps
    const { users, passkeys } = store.tables
    const [user] = await store.db.select().from(users).where(eq(users.id, actor.userId))
    if (user === undefined) throw new InvalidToken()
    if (!multiFactor(amr)) {
      if (password === undefined) {
        throw invalidInput([{ path: '/password', message: 'is required: enter your password to add a passkey' }])
      }
      await checkPassword(user, password, actor, client)
    }
    const existing = await store.db.select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
      .from(passkeys).where(eq(passkeys.userId, user.id))
    if (existing.length >= PASSKEYS_MAX) throw new PasskeyLimit(PASSKEYS_MAX)
    const options = await generateRegistrationOptions({
      rpName,
      rpID: rpId,
      userName: user.email,
      userDisplayName: user.name ?? user.username ?? user.email,
      // The user handle the authenticator keeps and gives back at sign-in: the account's id, nothing personal.
      userID: Buffer.from(user.id, 'utf8'),
      timeout: PASSKEY_CHALLENGE_TTL * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map(row => ({ id: row.credentialId, transports: transportsOf(row.transports) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      supportedAlgorithmIDs: ALGORITHMS
    })
    await this.#keepChallenge(options.challenge, 'register', user.id)
    return options
  }

  /** Verifies the authenticator's answer to the options above and keeps the new passkey. */
  async register ({ userId, sessionId }: Actor, body: RegisterBody, client: ClientInfo): Promise<Passkey> {
    const { rpId, origins } = this.#relyingParty()
    const { store, events } = this.#deps
    const { passkeys } = store.tables
    const challenge = challengeOf(body.response.response.clientDataJSON)
    if (challenge === undefined || !await this.#spendChallenge(challenge, 'register', userId)) {
      throw new PasskeyRejected('its challenge is unknown, expired or already used: start again')
    }
    let info
    try {
      const verification = await verifyRegistrationResponse({
        response: body.response,
        expectedChallenge: challenge,
        expectedOrigin: [...origins],
        expectedRPID: rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS
      })
      if (!verification.verified) throw new Error('not verified')
      info = verification.registrationInfo
    } catch (error) {
      throw new PasskeyRejected(`the authenticator's answer did not verify (${reasonOf(error)})`)
    }
    const now = new Date()
    const row: PasskeyRow = {
      id: randomUUID(),
      userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: (info.credential.transports ?? []).join(' '),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: body.name?.trim() ?? '',
      createdAt: now,
      lastUsedAt: null
    }
    await store.transaction(async tx => {
      // The account's row first, as every writer to it takes it: two registrations at once cannot both pass the limit.
      const [user] = await tx.update(store.tables.users).set({ updatedAt: sql`${store.tables.users.updatedAt}` })
        .where(and(eq(store.tables.users.id, userId), isNull(store.tables.users.disabledAt)))
        .returning({ id: store.tables.users.id })
      if (user === undefined || !await this.#deps.sessions.isLive(sessionId, userId, tx)) throw new InvalidToken()
      const held = await this.count(userId, tx)
      if (held >= PASSKEYS_MAX) throw new PasskeyLimit(PASSKEYS_MAX)
      const [taken] = await tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.credentialId, row.credentialId))
      if (taken !== undefined) throw new PasskeyRejected('this authenticator already holds it')
      if (row.name === '') row.name = `Passkey ${held + 1}`
      await tx.insert(passkeys).values(row)
      await events.record({ type: 'passkey_added', userId, sessionId, client }, tx)
    })
    return toPasskeyView(row)
  }

  async rename (userId: string, id: string, name: string): Promise<Passkey> {
    const { store } = this.#deps
    const { passkeys } = store.tables
    const [row] = await store.write(db => db.update(passkeys).set({ name: name.trim() })
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning())
    if (row === undefined) throw new NotFound('Passkey')
    return toPasskeyView(row)
  }

  async remove ({ userId, sessionId }: Actor, id: string, client: ClientInfo): Promise<void> {
    const { store, events } = this.#deps
    const { passkeys } = store.tables
    await store.transaction(async tx => {
      const [row] = await tx.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning({ id: passkeys.id })
      if (row === undefined) throw new NotFound('Passkey')
      await events.record({ type: 'passkey_removed', userId, sessionId, client }, tx)
    })
  }

  /** The options of a sign-in: no account is named, and the authenticator offers the passkeys it holds here. */
  async loginOptions (): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { rpId } = this.#relyingParty()
    const options = await generateAuthenticationOptions({
      rpID: rpId, allowCredentials: [], userVerification: 'preferred', timeout: PASSKEY_CHALLENGE_TTL * 1000
    })
    await this.#keepChallenge(options.challenge, 'login', null)
    return options
  }

  /**
   * A sign-in with a passkey: a new session whose `amr` names the key (`hwk` bound to one device, `swk`
   * synced) and, when the authenticator verified its user (a PIN or biometrics), `user` and `mfa`: such a
   * passkey is two factors, and the second-factor step is not asked. An account with two-factor on accepts
   * only passkeys that verify their user.
   */
  async login (response: AuthenticationResponseJSON, client: ClientInfo): Promise<AuthResult> {
    const { rpId, origins } = this.#relyingParty()
    const { store, events, sessions, accessTokens } = this.#deps
    const { users, passkeys } = store.tables
    const fail = async (reason: Failure, userId?: string): Promise<never> => {
      await events.record({ type: 'login_failure', userId, reason, client })
      throw new InvalidPasskey()
    }
    const challenge = challengeOf(response.response.clientDataJSON)
    if (challenge === undefined || !await this.#spendChallenge(challenge, 'login', null)) {
      return await fail('passkey_challenge')
    }
    const [passkey] = await store.db.select().from(passkeys).where(eq(passkeys.credentialId, response.id))
    if (passkey === undefined || response.rawId !== response.id) return await fail('unknown_passkey')
    const handle = response.response.userHandle
    if (handle === undefined || Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) {
      return await fail('unknown_passkey', passkey.userId)
    }
    const [user] = await store.db.select().from(users).where(eq(users.id, passkey.userId))
    if (user === undefined || user.disabledAt !== null) return await fail('disabled', passkey.userId)
    let info
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...origins],
        expectedRPID: rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: passkey.counter,
          transports: transportsOf(passkey.transports)
        },
        requireUserVerification: user.mfaEnabledAt !== null
      })
      if (!verification.verified) throw new Error('not verified')
      info = verification.authenticationInfo
    } catch {
      return await fail('passkey_signature', user.id)
    }
    if (this.#deps.requireVerifiedEmail && user.emailVerifiedAt === null) {
      await events.record({ type: 'login_failure', userId: user.id, reason: 'email_not_verified', client })
      throw new EmailNotVerified()
    }
    const amr = [info.credentialDeviceType === 'singleDevice' ? 'hwk' : 'swk', ...info.userVerified ? ['user', 'mfa'] : []]
    const now = new Date()
    const outcome = await store.transaction(async tx => {
      // The counter moves only forward, and only from the value checked: of two sign-ins with one assertion's
      // counter, one wins. Authenticators that keep no counter (0) rely on the challenge, spent above.
      const moved = store.changes(await tx.update(passkeys)
        .set({ counter: info.newCounter, lastUsedAt: now, backedUp: info.credentialBackedUp })
        .where(and(eq(passkeys.id, passkey.id), eq(passkeys.counter, passkey.counter))))
      if (moved === 0) return undefined
      // Locks the account and reads it again: disabled meanwhile, no session begins.
      const [current] = await tx.update(users).set({ updatedAt: sql`${users.updatedAt}` })
        .where(and(eq(users.id, user.id), isNull(users.disabledAt))).returning()
      if (current === undefined) return undefined
      const session = await sessions.start(current.id, client, tx, amr)
      await events.record({
        type: 'login_success', userId: current.id, sessionId: session.sessionId, reason: 'passkey', client
      }, tx)
      return { user: current, session }
    })
    if (outcome === undefined) return await fail('passkey_signature', user.id)
    const { session } = outcome
    return {
      user: toPublicUser(outcome.user),
      ...accessTokens.issue(outcome.user, session.sessionId, session.refreshToken, amr)
    }
  }

  /** Deletes the challenges of ceremonies never finished. */
  async prune (now = Date.now()): Promise<number> {
    const { store } = this.#deps
    const { passkeyChallenges } = store.tables
    return store.changes(await store.write(db => db.delete(passkeyChallenges)
      .where(lte(passkeyChallenges.expiresAt, new Date(now)))))
  }

  #relyingParty (): { rpId: string, rpName: string, origins: readonly string[] } {
    const { rpId, rpName, origins } = this.#deps.config
    if (rpId === undefined) throw new PasskeysUnavailable()
    return { rpId, rpName, origins }
  }

  /** Keeps a new challenge; the expired ones go with it, so that unfinished sign-ins never pile up. */
  async #keepChallenge (challenge: string, ceremony: 'register' | 'login', userId: string | null): Promise<void> {
    const { store } = this.#deps
    const { passkeyChallenges } = store.tables
    const now = Date.now()
    await store.transaction(async tx => {
      await tx.delete(passkeyChallenges).where(lte(passkeyChallenges.expiresAt, new Date(now)))
      await tx.insert(passkeyChallenges).values({
        challengeHash: digest(challenge), ceremony, userId, expiresAt: new Date(now + PASSKEY_CHALLENGE_TTL * 1000)
      })
    })
  }

  /** Spends a challenge: true once, for a live one of this ceremony (and this user, for a registration). */
  async #spendChallenge (challenge: string, ceremony: 'register' | 'login', userId: string | null): Promise<boolean> {
    const { store } = this.#deps
    const { passkeyChallenges } = store.tables
    const spent = await store.write(db => db.delete(passkeyChallenges).where(and(
      eq(passkeyChallenges.challengeHash, digest(challenge)),
      eq(passkeyChallenges.ceremony, ceremony),
      userId === null ? isNull(passkeyChallenges.userId) : eq(passkeyChallenges.userId, userId),
      gt(passkeyChallenges.expiresAt, new Date())
    )).returning({ hash: passkeyChallenges.challengeHash }))
    return spent.length === 1
  }
}

/** The challenge a ceremony's client data names; undefined when the client data is not what a browser writes. */
function challengeOf (clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'))
    const challenge = (data as { challenge?: unknown } | null)?.challenge
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : undefined
  } catch {
    return undefined
  }
}

function transportsOf (stored: string): AuthenticatorTransportFuture[] {
  return stored === '' ? [] : stored.split(' ') as AuthenticatorTransportFuture[]
}

/** What went wrong, in the library's words, cut short: they name the check, never a secret. */
function reasonOf (error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.slice(0, 200)
}

function digest (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
