/** Accounts brought in from other systems with the password hashes they had there (`npm run cli -- import-users`). */
import { randomUUID } from 'node:crypto'
import type { Executor, Store, Tables } from '../db/index.js'
import type { AuthEvents } from '../audit/events.js'
import { type ErrorDetail, ServiceError } from '../errors.js'
import { hashProblem } from '../passwords/hash-formats.js'
import { identityColumns, normalizeEmail, normalizeUsername } from './identity.js'
import type { Users } from './users.js'
import type { ImportedUser } from '../../schemas/import.js'

/**
 * Accounts written per transaction: a batch is written whole or not at all, and its checks are three look-ups.
 * 500 rows keep a statement's parameters (7,000) well within SQLite's and PostgreSQL's limits.
 */
const BATCH_SIZE = 500
/** A line may be as long as a registration's body (16 KiB): nothing longer can be a valid account. */
const LINE_MAX = 16 * 1024
const PROGRESS_EVERY = 10_000

type NewUser = Tables['users']['$inferInsert']
interface Candidate { line: number, row: NewUser }
interface Refusal { line: number, reason: string }
/** What some account has already: email keys, username keys, username skeletons. */
type Taken = Awaited<ReturnType<Users['taken']>>
/** The emails of the file's lines checked so far, the usernames (skeletons) of those accepted, and their lines. */
interface Claims { emails: Map<string, number>, usernames: Map<string, { line: number, key: string }> }

export interface ImportSummary { lines: number, imported: number, skipped: number, refused: number }

export interface ImportOptions {
  /** Every check, the database's accounts included, and nothing written. */
  dryRun: boolean
  /** Told of each refused line, in line order within a batch. */
  onRefused: (line: number, reason: string) => void
  onProgress?: (summary: ImportSummary) => void
}

export interface UserImportDependencies {
  store: Store
  users: Users
  events: AuthEvents
  /** The line's schema check, with the rules of request bodies (given by the caller: this layer knows no HTTP). */
  validate: (data: unknown) => ErrorDetail[]
}

/** Parses JSON as Fastify parses bodies (`onProtoPoisoning`/`onConstructorPoisoning: 'error'`). */
function parseLine (text: string): unknown {
  const value: unknown = JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null &&
      Object.hasOwn(value, 'prototype'))) {
      throw new SyntaxError(`"${key}" is not allowed`)
    }
    return value
  })
  // A field that is null is absent: database exports write NULL columns as null (a null inside
  // metadata stays, as metadata may hold it).
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, field] of Object.entries(value)) {
      if (field === null) delete (value as Record<string, unknown>)[key]
    }
  }
  return value
}

/**
 * Checks each account with the rules of a registration and writes them in batches, each in one transaction.
 * An email already registered is skipped, so running a file again changes nothing; a line that repeats an
 * earlier line's email or username is refused (the first one counts). Hashes are stored, never computed.
 */
export class UserImport {
  readonly #deps: UserImportDependencies

  constructor (deps: UserImportDependencies) {
    this.#deps = deps
  }

  async run (lines: AsyncIterable<string>, options: ImportOptions): Promise<ImportSummary> {
    const summary: ImportSummary = { lines: 0, imported: 0, skipped: 0, refused: 0 }
    const claims: Claims = { emails: new Map(), usernames: new Map() }
    let batch: Candidate[] = []
    let refusals: Refusal[] = []
    const flush = async () => {
      refusals.push(...await this.#write(batch, claims, summary, options.dryRun))
      refusals.sort((a, b) => a.line - b.line)
      for (const { line, reason } of refusals) options.onRefused(line, reason)
      summary.refused += refusals.length
      batch = []
      refusals = []
    }
    const now = new Date()
    for await (const text of lines) {
      const line = ++summary.lines
      if (text.trim() !== '') {
        const prepared = this.#prepare(line === 1 ? text.replace(/^\uFEFF/, '') : text, now)
        if (typeof prepared === 'string') refusals.push({ line, reason: prepared })
        else batch.push({ line, row: prepared })
        if (batch.length >= BATCH_SIZE || refusals.length >= BATCH_SIZE) await flush()
      }
      if (line % PROGRESS_EVERY === 0) options.onProgress?.(summary)
    }
    await flush()
    return summary
  }

  /** The row a line makes, or why it is refused. */
  #prepare (text: string, now: Date): NewUser | string {
    if (text.length > LINE_MAX) return `is longer than ${LINE_MAX} characters`
    let value: unknown
    try {
      value = parseLine(text)
    } catch (error) {
      return `is not valid JSON (${(error as Error).message})`
    }
    const problems = this.#deps.validate(value)
    if (problems.length > 0) {
      return problems.map(({ path, message }) => `${path.slice(1) || 'line'} ${message}`).join('; ')
    }
    const input = value as ImportedUser
    const hash = hashProblem(input.passwordHash)
    if (hash !== undefined) return `passwordHash ${hash}`
    let username
    try {
      username = input.username === undefined ? undefined : normalizeUsername(input.username, { legacy: true })
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error
      return `username ${error.details?.[0]?.message ?? error.message}`
    }
    const name = input.name?.trim()
    if (name === '') return 'name must not be blank'
    const createdAt = input.createdAt === undefined ? now : new Date(input.createdAt)
    if (Number.isNaN(createdAt.getTime())) return 'createdAt must be a valid date-time'
    if (createdAt > now) return 'createdAt must not be in the future'
    const email = normalizeEmail(input.email)
    return {
      id: randomUUID(),
      ...identityColumns(email, username),
      name: name ?? null,
      role: input.role ?? 'user',
      metadata: input.metadata ?? {},
      passwordHash: input.passwordHash,
      emailVerifiedAt: input.emailVerified === true ? createdAt : null,
      createdAt,
      updatedAt: now
    }
  }

  /**
   * How a line stands against the accounts there are and the file's earlier lines, checked in that order
   * whichever batch a line falls in, so that a dry run and a re-run find what the import found. The earlier
   * line counts; a line's own claim is no clash, as PostgreSQL may run a batch's transaction twice.
   */
  #classify (row: NewUser, line: number, taken: Taken, claims: Claims): 'fresh' | 'skipped' | { reason: string } {
    const email = claims.emails.get(row.emailKey)
    if (email !== undefined && email !== line) return { reason: `email repeats line ${email}` }
    claims.emails.set(row.emailKey, line)
    if (taken.emails.has(row.emailKey)) return 'skipped'
    const username = row.usernameSkeleton == null ? undefined : claims.usernames.get(row.usernameSkeleton)
    if (username !== undefined && username.line !== line) {
      return {
        reason: username.key === row.usernameKey
          ? `username repeats line ${username.line}`
          : `username looks like line ${username.line}'s (a look-alike of a taken name is taken)`
      }
    }
    if (row.usernameKey != null && taken.usernames.has(row.usernameKey)) {
      return { reason: 'username is taken by another account' }
    }
    if (row.usernameSkeleton != null && taken.skeletons.has(row.usernameSkeleton)) {
      return { reason: 'username looks like another account\'s (a look-alike of a taken name is taken)' }
    }
    if (row.usernameSkeleton != null) {
      claims.usernames.set(row.usernameSkeleton, { line, key: row.usernameKey as string })
    }
    return 'fresh'
  }

  /** Checks a batch against the accounts there are and, unless a dry run, writes it in one transaction. */
  async #write (batch: Candidate[], claims: Claims, summary: ImportSummary, dryRun: boolean): Promise<Refusal[]> {
    const { store, users, events } = this.#deps
    if (batch.length === 0) return []
    const work = async (tx: Executor) => {
      const refusals: Refusal[] = []
      const taken = await users.taken({
        emails: batch.map(({ row }) => row.emailKey),
        usernames: batch.flatMap(({ row }) => row.usernameKey ?? []),
        skeletons: batch.flatMap(({ row }) => row.usernameSkeleton ?? [])
      }, tx)
      const fresh: Candidate[] = []
      let skipped = 0
      for (const candidate of batch) {
        const outcome = this.#classify(candidate.row, candidate.line, taken, claims)
        if (outcome === 'fresh') fresh.push(candidate)
        else if (outcome === 'skipped') skipped++
        else refusals.push({ line: candidate.line, reason: outcome.reason })
      }
      const rows = fresh.map(({ row }) => row)
      const inserted = new Set(dryRun ? rows.map(row => row.id) : await users.insertMany(rows, tx))
      for (const { row, line } of fresh) {
        if (!inserted.has(row.id as string)) {
          refusals.push({ line, reason: 'email or username was taken by an account made during the import' })
        }
      }
      if (!dryRun) {
        await events.recordMany(rows.filter(row => inserted.has(row.id as string))
          .map(row => ({ type: 'user_imported', userId: row.id, reason: `role: ${row.role as string}` })), tx)
      }
      return { refusals, skipped, imported: inserted.size }
    }
    const result = dryRun ? await work(store.db) : await store.transaction(work)
    summary.imported += result.imported
    summary.skipped += result.skipped
    return result.refusals
  }
}
