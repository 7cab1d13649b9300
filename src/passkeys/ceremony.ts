/**
 * What the passkey ceremonies share: their challenges, kept in the database (as SHA-256 digests), each good
 * once, for its kind of ceremony (and, for a registration, its user), for five minutes; the relying party;
 * and how the browser's answers are read.
 */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import type { AuthenticatorTransportFuture } from '@simplewebauthn/server'
import { and, eq, gt, isNull, lte } from 'drizzle-orm'
import type { Store } from '../db/index.js'
import { PasskeysUnavailable } from '../errors.js'
import { PASSKEY_CHALLENGE_TTL } from '../../schemas/passkeys.js'
import type { PasskeyConfig } from './config.js'

export type Ceremony = 'register' | 'login'

export interface RelyingParty { rpId: string, rpName: string, origins: string[] }

/** The relying party, or 503 PASSKEYS_UNAVAILABLE where the service has no domain to bind passkeys to. */
export function relyingParty ({ rpId, rpName, origins }: PasskeyConfig): RelyingParty {
  if (rpId === undefined) throw new PasskeysUnavailable()
  return { rpId, rpName, origins: [...origins] }
}

export class Challenges {
  readonly #store: Store

  constructor (store: Store) {
    this.#store = store
  }

  /** Keeps a new challenge; the expired ones go with it, so that unfinished ceremonies never pile up. */
  async keep (challenge: string, ceremony: Ceremony, userId: string | null): Promise<void> {
    const { passkeyChallenges } = this.#store.tables
    const now = Date.now()
    await this.#store.transaction(async tx => {
      await tx.delete(passkeyChallenges).where(lte(passkeyChallenges.expiresAt, new Date(now)))
      await tx.insert(passkeyChallenges).values({
        challengeHash: digest(challenge), ceremony, userId, expiresAt: new Date(now + PASSKEY_CHALLENGE_TTL * 1000)
      })
    })
  }

  /** Spends a challenge: true once, for a live one of this ceremony (and this user, for a registration). */
  async spend (challenge: string, ceremony: Ceremony, userId: string | null): Promise<boolean> {
    const { passkeyChallenges } = this.#store.tables
    const spent = await this.#store.write(db => db.delete(passkeyChallenges).where(and(
      eq(passkeyChallenges.challengeHash, digest(challenge)),
      eq(passkeyChallenges.ceremony, ceremony),
      userId === null ? isNull(passkeyChallenges.userId) : eq(passkeyChallenges.userId, userId),
      gt(passkeyChallenges.expiresAt, new Date())
    )).returning({ hash: passkeyChallenges.challengeHash }))
    return spent.length === 1
  }

  /** Deletes the challenges of ceremonies never finished. */
  async prune (now = Date.now()): Promise<number> {
    const { passkeyChallenges } = this.#store.tables
    return this.#store.changes(await this.#store.write(db => db.delete(passkeyChallenges)
      .where(lte(passkeyChallenges.expiresAt, new Date(now)))))
  }
}

/** The challenge a ceremony's client data names; undefined when the client data is not what a browser writes. */
export function challengeOf (clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'))
    const challenge = (data as { challenge?: unknown } | null)?.challenge
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : undefined
  } catch {
    return undefined
  }
}

export function transportsOf (stored: string): AuthenticatorTransportFuture[] {
  return stored === '' ? [] : stored.split(' ') as AuthenticatorTransportFuture[]
}

function digest (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
