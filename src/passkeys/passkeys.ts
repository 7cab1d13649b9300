/**
 * A signed-in user's passkeys (WebAuthn): adding one, the list, renaming and deleting. Signing in with one is
 * sign-in.ts; the challenges both ceremonies spend are ceremony.ts's.
 */
import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import {
  generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON, verifyRegistrationResponse
} from '@simplewebauthn/server'
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import type { AuthEvents } from '../audit/events.js'
import type { Executor, Store } from '../db/index.js'
import type { PasskeyRow, UserRow } from '../db/schema.js'
import type { MailService } from '../mail/mail.js'
import { invalidInput, InvalidToken, NotFound, PasskeyLimit, PasskeyRejected } from '../errors.js'
import { multiFactor } from '../mfa/mfa.js'
import type { Actor, ClientInfo } from '../sessions/client.js'
import type { Sessions } from '../sessions/sessions.js'
import { toPasskeyView } from '../views.js'
import { type Passkey, PASSKEY_CHALLENGE_TTL, PASSKEYS_MAX, type RegisterBody } from '../../schemas/passkeys.js'
import { challengeOf, type Challenges, relyingParty, transportsOf } from './ceremony.js'
import type { PasskeyConfig } from './config.js'

/** Signature algorithms accepted: Ed25519, ES256 and RS256 (what every authenticator offers one of). */
const ALGORITHMS = [-8, -7, -257]
/** A credential ID's most characters of base64url: WebAuthn caps it at 1,023 bytes. */
const CREDENTIAL_ID_MAX_LENGTH = 1364

export interface PasskeyDependencies {
  store: Store
  sessions: Sessions
  events: AuthEvents
  config: PasskeyConfig
  /** The notices of a passkey added or deleted, written with the change. */
  mail: Pick<MailService, 'enqueue' | 'wake'>
  /** The account page, linked from the notice of a new passkey: PUBLIC_URL + /account. */
  accountUrl: string
  /** The user's current password, checked and throttled as a password change checks it. */
  checkPassword: (user: UserRow, password: string, actor: Actor, client: ClientInfo) => Promise<void>
}

export class Passkeys {
  readonly #deps: PasskeyDependencies
  readonly #challenges: Challenges

  constructor (deps: PasskeyDependencies, challenges: Challenges) {
    this.#deps = deps
    this.#challenges = challenges
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
    const { rpId, rpName } = relyingParty(this.#deps.config)
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
    await this.#challenges.keep(options.challenge, 'register', user.id)
    return options
  }

  /** Verifies the authenticator's answer to the options above and keeps the new passkey. */
  async register ({ userId, sessionId }: Actor, body: RegisterBody, client: ClientInfo): Promise<Passkey> {
    const { rpId, origins } = relyingParty(this.#deps.config)
    const { store, events, mail, accountUrl } = this.#deps
    const name = nameOf(body.name)
    const { passkeys } = store.tables
    const challenge = challengeOf(body.response.response.clientDataJSON)
    if (challenge === undefined || !await this.#challenges.spend(challenge, 'register', userId)) {
      throw new PasskeyRejected('its challenge is unknown, expired or already used: start again')
    }
    let info
    try {
      const verification = await verifyRegistrationResponse({
        response: body.response,
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS
      })
      if (!verification.verified) throw new Error('not verified')
      info = verification.registrationInfo
    } catch (error) {
      throw new PasskeyRejected(`the authenticator's answer did not verify (${reasonOf(error)})`)
    }
    // The library takes the ID from the signed data without comparing it with the one the browser named.
    if (info.credential.id !== body.response.id || body.response.rawId !== body.response.id ||
      info.credential.id.length > CREDENTIAL_ID_MAX_LENGTH) {
      throw new PasskeyRejected('its credential ID is not the one the authenticator signed, or is longer than WebAuthn allows')
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
      name: name ?? '',
      createdAt: now,
      lastUsedAt: null
    }
    await store.transaction(async tx => {
      // The account's row first, as every writer to it takes it: two registrations at once cannot both pass the limit.
      const [user] = await tx.update(store.tables.users).set({ updatedAt: sql`${store.tables.users.updatedAt}` })
        .where(and(eq(store.tables.users.id, userId), isNull(store.tables.users.disabledAt)))
        .returning({ email: store.tables.users.email, name: store.tables.users.name })
      if (user === undefined || !await this.#deps.sessions.isLive(sessionId, userId, tx)) throw new InvalidToken()
      const held = await this.count(userId, tx)
      if (held >= PASSKEYS_MAX) throw new PasskeyLimit(PASSKEYS_MAX)
      const [taken] = await tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.credentialId, row.credentialId))
      if (taken !== undefined) throw new PasskeyRejected('this authenticator already holds it')
      if (row.name === '') row.name = `Passkey ${held + 1}`
      await tx.insert(passkeys).values(row)
      await events.record({ type: 'passkey_added', userId, sessionId, client }, tx)
      // The owner hears of it: a session taken over must not leave a way in behind it unseen.
      await mail.enqueue({
        to: user.email,
        template: 'passkey-added',
        purpose: 'passkey_added',
        userId,
        data: { name: user.name ?? '', passkeyName: row.name, accountLink: accountUrl }
      }, tx)
    }).catch((error: unknown) => {
      // Two accounts registering one credential at once: the unique index decides.
      throw isCredentialTaken(error) ? new PasskeyRejected('this authenticator already holds it') : error
    })
    mail.wake()
    return toPasskeyView(row)
  }

  async rename (userId: string, id: string, name: string): Promise<Passkey> {
    const { store } = this.#deps
    const { passkeys } = store.tables
    const [row] = await store.write(db => db.update(passkeys).set({ name: nameOf(name) ?? '' })
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning())
    if (row === undefined) throw new NotFound('Passkey')
    return toPasskeyView(row)
  }

  async remove ({ userId, sessionId }: Actor, id: string, client: ClientInfo): Promise<void> {
    const { store, events, mail } = this.#deps
    const { passkeys, users } = store.tables
    await store.transaction(async tx => {
      const [row] = await tx.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning({ name: passkeys.name })
      if (row === undefined) throw new NotFound('Passkey')
      await events.record({ type: 'passkey_removed', userId, sessionId, client }, tx)
      const [user] = await tx.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, userId))
      if (user !== undefined) {
        await mail.enqueue({
          to: user.email,
          template: 'passkey-removed',
          purpose: 'passkey_removed',
          userId,
          data: { name: user.name ?? '', passkeyName: row.name }
        }, tx)
      }
    })
    mail.wake()
  }

  /** Deletes the challenges of ceremonies never finished. */
  async prune (now = Date.now()): Promise<number> {
    return await this.#challenges.prune(now)
  }
}

/** A passkey's name as kept: trimmed; undefined when none is given. Blank is refused, as no name at all is not. */
function nameOf (name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  const trimmed = name.trim()
  if (trimmed === '') throw invalidInput([{ path: '/name', message: 'must not be blank' }])
  return trimmed
}

/** A unique violation of the credential ID's index, on SQLite or PostgreSQL. */
function isCredentialTaken (error: unknown): boolean {
  const cause = ((error as { cause?: unknown }).cause ?? error) as { code?: string, message?: string, constraint?: string }
  return (cause.code === 'SQLITE_CONSTRAINT_UNIQUE' && /passkeys\.credential_id/.test(cause.message ?? '')) ||
    (cause.code === '23505' && cause.constraint === 'passkeys_credential_id_unique')
}

/** What went wrong, in the library's words, cut short: they name the check, never a secret. */
function reasonOf (error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.slice(0, 200)
}
