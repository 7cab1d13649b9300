/**
 * Signing in with a passkey, without a password or an account name: the authenticator offers the passkeys it
 * holds for the site (discoverable credentials), and the one chosen names its account.
 */
import { Buffer } from 'node:buffer'
import {
  type AuthenticationResponseJSON, generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse
} from '@simplewebauthn/server'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Store } from '../db/index.js'
import { EmailNotVerified, InvalidPasskey } from '../errors.js'
import type { ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import type { AccessTokens } from '../tokens/access-tokens.js'
import { toPublicUser } from '../views.js'
import type { AuthResult } from '../../schemas/auth.js'
import { PASSKEY_CHALLENGE_TTL } from '../../schemas/passkeys.js'
import { challengeOf, type Challenges, relyingParty, transportsOf } from './ceremony.js'
import type { PasskeyConfig } from './config.js'

export interface SignInDependencies {
  store: Store
  sessions: Sessions
  events: AuthEvents
  accessTokens: AccessTokens
  config: PasskeyConfig
  /** EMAIL_VERIFICATION=required: no sign-in before the address is proven, whatever the factor. */
  requireVerifiedEmail: boolean
}

/** Why a sign-in failed, in the audit trail (and the metrics' reasons). */
type Failure = 'passkey_challenge' | 'unknown_passkey' | 'passkey_signature' | 'disabled'

export class PasskeySignIn {
  readonly #deps: SignInDependencies
  readonly #challenges: Challenges

  constructor (deps: SignInDependencies, challenges: Challenges) {
    this.#deps = deps
    this.#challenges = challenges
  }

  /** The options of a sign-in: no account is named, and the authenticator offers the passkeys it holds here. */
  async options (): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { rpId } = relyingParty(this.#deps.config)
    const options = await generateAuthenticationOptions({
      rpID: rpId, allowCredentials: [], userVerification: 'preferred', timeout: PASSKEY_CHALLENGE_TTL * 1000
    })
    await this.#challenges.keep(options.challenge, 'login', null)
    return options
  }

  /**
   * A sign-in with a passkey: a new session whose `amr` names the key (`hwk` bound to one device, `swk`
   * synced) and, when the authenticator verified its user (a PIN or biometrics), `user` and `mfa`: such a
   * passkey is two factors, and the second-factor step is not asked. An account with two-factor on accepts
   * only passkeys that verify their user.
   */
  async login (response: AuthenticationResponseJSON, client: ClientInfo): Promise<AuthResult> {
    const { rpId, origins } = relyingParty(this.#deps.config)
    const { store, events, sessions, accessTokens } = this.#deps
    const { users, passkeys } = store.tables
    const fail = async (reason: Failure, userId?: string): Promise<never> => {
      await events.record({ type: 'login_failure', userId, reason, client })
      throw new InvalidPasskey()
    }
    const challenge = challengeOf(response.response.clientDataJSON)
    if (challenge === undefined || !await this.#challenges.spend(challenge, 'login', null)) {
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
        expectedOrigin: origins,
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
      // Locks the account first, as every writer to it does (a deletion's cascade to its passkeys among them),
      // and reads it again: disabled meanwhile, no session begins.
      const [current] = await tx.update(users).set({ updatedAt: sql`${users.updatedAt}` })
        .where(and(eq(users.id, user.id), isNull(users.disabledAt))).returning()
      // Two-factor turned on meanwhile: that ended every session, and this one must not begin with one factor.
      if (current === undefined || (current.mfaEnabledAt !== null && !info.userVerified)) return undefined
      // The counter moves only forward, and only from the value checked: of two sign-ins with one assertion's
      // counter, one wins. Authenticators that keep no counter (0) rely on the challenge, spent above.
      const moved = store.changes(await tx.update(passkeys)
        .set({ counter: info.newCounter, lastUsedAt: now, backedUp: info.credentialBackedUp })
        .where(and(eq(passkeys.id, passkey.id), eq(passkeys.counter, passkey.counter))))
      if (moved === 0) return undefined
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
}
