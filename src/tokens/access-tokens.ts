/**
 * Access-token signing: HS256 with one secret, or an asymmetric key whose public half is published
 * as a JWKS so other services verify without the secret. A retired key loses its private half at once
 * but stays published for one token lifetime plus a margin, so the tokens it signed verify until they expire.
 */
import { type KeyObject, randomUUID } from 'node:crypto'
import { and, desc, eq, gt, isNotNull, isNull, ne, or } from 'drizzle-orm'
import { createSigner, createVerifier } from 'fast-jwt'
import type { Executor, Store } from '../db/index.js'
import type { PublicJwk, Account } from '../db/schema.js'
import { InvalidToken, NotFound } from '../errors.js'
import {
  ACCESS_TOKEN_TYPE, type AsymmetricAlgorithm, canonicalSignature, generatePrivateKey, headerKid, type JwtAlgorithm,
  parsePrivateKey, publicJwk, publicPem
} from './keys.js'
import type { AccessClaims, AccessTokenClaims } from '../../schemas/auth.js'
import type { TokenPair } from '../../schemas/sessions.js'

/** How often the keys are re-read, to pick up a rotation made elsewhere (the CLI, another instance). */
export const KEY_RELOAD_INTERVAL_MS = 5_000
/** Beyond the token lifetime: an instance that has not re-read the keys may still sign with a retired one. */
export const RETIRED_KEY_MARGIN_MS = 2 * KEY_RELOAD_INTERVAL_MS
/** A token naming an unknown key makes the keys be re-read, at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000

const KEYS_LOCK = 'signing_keys'

/** No honest access token comes near this; longer ones are refused before any parsing. */
const TOKEN_MAX_LENGTH = 4096

/** How many verified tokens are remembered, with their claims, until they expire. */
const VERIFIED_KEPT = 10_000

export interface TokenPolicy {
  algorithm: JwtAlgorithm
  /** HS256 only. */
  secret?: string
  /** PEM; asymmetric only. Without it, keys are generated and kept in the database. */
  privateKey?: string
  /** Seconds. */
  accessTokenTtl: number
  issuer?: string
  audience?: string
}

type Verify = (token: string) => AccessTokenClaims

export class AccessTokens {
  readonly algorithm: JwtAlgorithm
  readonly #store: Store
  readonly #policy: TokenPolicy
  /** The configured key (JWT_PRIVATE_KEY), when there is one. */
  readonly #givenKey?: { key: KeyObject, jwk: PublicJwk }
  #sign: (claims: AccessClaims) => string = () => { throw new Error('signing keys not loaded') }
  #signingKid?: string
  /** HS256: the one verifier; otherwise one per published key, by kid. */
  #verify?: Verify
  #verifiers = new Map<string, Verify>()
  #published: PublicJwk[] = []
  #unknownKidReloadAt = 0
  /** Verified tokens until they expire, oldest first; revocation is unaffected, as the guard checks the session. */
  readonly #verified = new Map<string, AccessTokenClaims>()

  constructor (store: Store, policy: TokenPolicy) {
    this.#store = store
    this.#policy = policy
    this.algorithm = policy.algorithm
    if (policy.algorithm === 'HS256') {
      const secret = policy.secret as string
      this.#sign = this.#signer(secret)
      this.#verify = this.#verifier(secret)
    } else if (policy.privateKey !== undefined) {
      const key = parsePrivateKey(policy.privateKey)
      this.#givenKey = { key, jwk: publicJwk(key, policy.algorithm) }
    }
  }

  get asymmetric (): boolean {
    return this.algorithm !== 'HS256'
  }

  /** At start-up: makes sure a signing key of the configured algorithm exists, and loads the keys. */
  async prepare (now = Date.now()): Promise<void> {
    if (!this.asymmetric) return
    const algorithm = this.algorithm as AsymmetricAlgorithm
    const { signingKeys } = this.#store.tables
    // Under the lock, so that instances starting together agree on one key.
    await this.#store.transaction(async tx => {
      if (this.#givenKey !== undefined) {
        const { jwk } = this.#givenKey
        await tx.insert(signingKeys)
          .values({ kid: jwk.kid, algorithm, privateKey: null, publicKey: jwk, createdAt: new Date(now) })
          .onConflictDoUpdate({ target: signingKeys.kid, set: { retiredAt: null } })
        await this.#retireAllBut(jwk.kid, now, tx)
        return
      }
      const [current] = await tx.select({ kid: signingKeys.kid }).from(signingKeys)
        .where(and(
          eq(signingKeys.algorithm, algorithm), isNull(signingKeys.retiredAt), isNotNull(signingKeys.privateKey)
        ))
        .orderBy(desc(signingKeys.createdAt)).limit(1)
      if (current === undefined) await this.#addKey(generatePrivateKey(algorithm), algorithm, now, tx)
      else await this.#retireAllBut(current.kid, now, tx)
    }, { lock: KEYS_LOCK })
    await this.reload(now)
  }

  /** Adds a new signing key and retires the others; returns the new key's public JWK. */
  async rotate (now = Date.now()): Promise<PublicJwk> {
    if (!this.asymmetric) {
      throw new Error(
        'rotate-keys needs an asymmetric JWT_ALGORITHM (EdDSA, ES256 or RS256); HS256 signs with JWT_SECRET'
      )
    }
    if (this.#givenKey !== undefined) {
      throw new Error('the signing key is given by JWT_PRIVATE_KEY: rotate it by giving a new one')
    }
    const key = generatePrivateKey(this.algorithm as AsymmetricAlgorithm)
    const jwk = await this.#store.transaction(
      tx => this.#addKey(key, this.algorithm as AsymmetricAlgorithm, now, tx), { lock: KEYS_LOCK }
    )
    await this.reload(now)
    return jwk
  }

  /** Adds `key` as the signing key; callers that can generate it before the transaction. */
  async #addKey (key: KeyObject, algorithm: AsymmetricAlgorithm, now: number, tx: Executor): Promise<PublicJwk> {
    const jwk = publicJwk(key, algorithm)
    await tx.insert(this.#store.tables.signingKeys).values({
      kid: jwk.kid,
      algorithm,
      privateKey: key.export({ format: 'pem', type: 'pkcs8' }) as string,
      publicKey: jwk,
      createdAt: new Date(now)
    })
    await this.#retireAllBut(jwk.kid, now, tx)
    return jwk
  }

  /** A retired key can no longer sign: its private half is dropped with it. */
  async #retireAllBut (kid: string, now: number, tx: Executor): Promise<void> {
    const { signingKeys } = this.#store.tables
    await tx.update(signingKeys).set({ retiredAt: new Date(now), privateKey: null })
      .where(and(ne(signingKeys.kid, kid), isNull(signingKeys.retiredAt)))
  }

  /** Re-reads the keys: the newest unretired one signs; every published one verifies. */
  async reload (now = Date.now()): Promise<void> {
    if (!this.asymmetric) return
    const { signingKeys } = this.#store.tables
    // Keys of another algorithm stay too: after a change of JWT_ALGORITHM, older tokens verify until they expire.
    const rows = await this.#store.db.select().from(signingKeys)
      .where(or(
        isNull(signingKeys.retiredAt),
        gt(signingKeys.retiredAt, new Date(now - this.#policy.accessTokenTtl * 1000 - RETIRED_KEY_MARGIN_MS))
      ))
      .orderBy(desc(signingKeys.createdAt))
    const verifiers = new Map<string, Verify>()
    for (const row of rows) {
      verifiers.set(
        row.kid,
        this.#verifiers.get(row.kid) ?? this.#verifier(publicPem(row.publicKey), row.algorithm as AsymmetricAlgorithm)
      )
    }
    const signing = this.#givenKey ?? rows
      .filter(row => row.algorithm === this.algorithm && row.retiredAt === null && row.privateKey !== null)
      .map(row => ({ key: parsePrivateKey(row.privateKey as string), jwk: row.publicKey }))[0]
    if (signing === undefined) throw new Error(`no ${this.algorithm} signing key in the database`)
    if (signing.jwk.kid !== this.#signingKid) {
      this.#sign = this.#signer(signing.key.export({ format: 'pem', type: 'pkcs8' }) as string, signing.jwk.kid)
      this.#signingKid = signing.jwk.kid
    }
    const published = rows.map(row => row.publicKey)
    // The configured key always verifies here, even once another instance's newer JWT_PRIVATE_KEY
    // (a rolling change) has retired it, so this instance never refuses its own tokens.
    if (this.#givenKey !== undefined && !verifiers.has(this.#givenKey.jwk.kid)) {
      verifiers.set(this.#givenKey.jwk.kid, this.#verifier(publicPem(this.#givenKey.jwk)))
      published.push(this.#givenKey.jwk)
    }
    // A key gone from the database (deleted by hand, say after a compromise) takes the tokens it verified with it.
    if ([...this.#verifiers.keys()].some(kid => !verifiers.has(kid))) this.#verified.clear()
    this.#verifiers = verifiers
    this.#published = published
  }

  sign (claims: AccessClaims): string {
    return this.#sign(claims)
  }

  /** A new access token for a session signed in with `amr`, with the session's refresh token beside it. */
  issue (
    account: Pick<Account, 'id' | 'role'>, sessionId: string, refreshToken: string, amr: readonly string[]
  ): TokenPair {
    return {
      accessToken: this.#sign({ sub: account.id, role: account.role, sid: sessionId, amr: [...amr], jti: randomUUID() }),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.#policy.accessTokenTtl
    }
  }

  /** A valid token's claims; INVALID_TOKEN otherwise. Async only for a key not loaded yet. */
  verify (token: string): AccessTokenClaims | Promise<AccessTokenClaims> {
    if (token.length > TOKEN_MAX_LENGTH) throw new InvalidToken()
    const known = this.#verified.get(token)
    if (known !== undefined) {
      if (known.exp * 1000 > Date.now()) return known
      this.#verified.delete(token)
    }
    if (this.#verify !== undefined) return this.#claims(this.#verify, token)
    const kid = headerKid(token)
    if (kid === undefined) throw new InvalidToken()
    const verify = this.#verifiers.get(kid)
    return verify !== undefined ? this.#claims(verify, token) : this.#verifyUnknownKid(kid, token)
  }

  /** Only tokens that pass here are remembered, so another spelling of a known token is never found in memory. */
  #claims (verify: Verify, token: string): AccessTokenClaims {
    if (!canonicalSignature(token)) throw new InvalidToken()
    let claims: AccessTokenClaims
    try {
      claims = verify(token)
    } catch {
      throw new InvalidToken()
    }
    // Only this service's signer makes tokens, but a claim of the wrong type must not reach a query.
    if (typeof claims.sid !== 'string' || typeof claims.sub !== 'string') throw new InvalidToken()
    if (this.#verified.size >= VERIFIED_KEPT) this.#verified.delete(this.#verified.keys().next().value as string)
    // Shared by every request that presents the token: frozen, so none can alter another's.
    this.#verified.set(token, Object.freeze(claims))
    return claims
  }

  /** An unknown kid re-reads the keys (rate-limited), as a rotation elsewhere adds one. */
  async #verifyUnknownKid (kid: string, token: string): Promise<AccessTokenClaims> {
    const now = Date.now()
    if (now >= this.#unknownKidReloadAt) {
      this.#unknownKidReloadAt = now + UNKNOWN_KID_RELOAD_MS
      await this.reload(now)
    }
    const verify = this.#verifiers.get(kid)
    if (verify === undefined) throw new InvalidToken()
    return this.#claims(verify, token)
  }

  /** The published public keys (RFC 7517); NOT_FOUND with HS256, which has none. */
  jwks (): { keys: PublicJwk[] } {
    if (!this.asymmetric) throw new NotFound('Public key set (JWT_ALGORITHM is HS256)')
    return { keys: this.#published }
  }

  #signer (key: string, kid?: string): (claims: AccessClaims) => string {
    const { algorithm, accessTokenTtl, issuer, audience } = this.#policy
    const header = { alg: algorithm, typ: ACCESS_TOKEN_TYPE, ...(kid === undefined ? {} : { kid }) }
    return createSigner({ key, algorithm, header, expiresIn: accessTokenTtl * 1000, iss: issuer, aud: audience })
  }

  #verifier (key: string, algorithm: JwtAlgorithm = this.algorithm): Verify {
    const { issuer, audience } = this.#policy
    return createVerifier({
      key,
      // `verify` keeps its own cache, keyed by the token rather than by fast-jwt's costlier digest of it.
      cache: false,
      algorithms: [algorithm],
      checkTyp: ACCESS_TOKEN_TYPE,
      allowedIss: issuer,
      allowedAud: audience,
      // fast-jwt checks iss and aud only when present: when configured, they must be.
      requiredClaims: [
        'sub', 'role', 'sid', 'jti', 'iat', 'exp',
        ...(issuer === undefined ? [] : ['iss']), ...(audience === undefined ? [] : ['aud'])
      ]
    })
  }
}
