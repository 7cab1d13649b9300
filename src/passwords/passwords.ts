/**
 * Password hashing with bcrypt, in worker threads: on the event loop a hash would stall every other request.
 * Imported accounts' hashes of other formats (hash-formats.js) are checked there too, until their first login.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import { Overloaded } from '../errors.js'
import { normalizePassword } from './normalize.js'

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const WORKER = new URL('./hash-worker.js', import.meta.url).href

type HashTask =
  | { op: 'hash', password: string, cost: number }
  | { op: 'compare', password: string, hash: string }
/** A comparison's result, and the milliseconds it took in its thread. */
type Compared = { match: boolean, ms: number }

/** How much each new timing moves the estimate of a bcrypt check at the configured cost. */
const ESTIMATE_WEIGHT = 0.2

export interface PasswordsOptions {
  /** bcrypt cost of new hashes. */
  cost: number
  /** Hashing threads. */
  workers: number
  /** Hash jobs allowed to wait for a thread; past it, `admit` sheds new work. */
  queueMax: number
}

/**
 * A well-formed bcrypt hash that never matches, of the given cost: logins for unknown users take as
 * long as with a wrong password, so timing does not reveal which accounts exist. Random, so start-up pays no hash.
 */
function dummyHash (cost: number): string {
  const body = Array.from(randomBytes(53), byte => BCRYPT_ALPHABET[byte & 63]).join('')
  return `$2b$${String(cost).padStart(2, '0')}$${body}`
}

/** The pool at one moment, for the metrics. */
export interface HashPoolStats {
  /** Live hashing threads. */
  threads: number
  /** Jobs on a thread now. */
  running: number
  /** Jobs waiting for a thread. */
  waiting: number
  /** Requests turned away by `admit` (503) since start. */
  shed: number
}

/** A request's place among the hash jobs: taken by `admit`, handed to its first job, or given back. */
export interface Admission {
  /** Gives the place back; does nothing once the place was handed to a job or given back. */
  release: () => void
}

export class Passwords {
  readonly #cost: number
  readonly #dummy: string
  /** Jobs that may be running or waiting at once: one per thread, and HASH_QUEUE_MAX waiting. */
  readonly #capacity: number
  readonly #pool: Piscina<HashTask, string | Compared>
  /** What a check of a hash of the service's own, at the configured cost, takes: a running estimate. */
  #bcryptMs: number | undefined
  #sampling: Promise<number> | undefined
  /** Jobs running or waiting for a thread. */
  #jobs = 0
  /** Admitted requests that have not yet queued their first job (they are reading the database). */
  #admitted = 0
  #shed = 0
  #closed = false

  constructor ({ cost, workers, queueMax }: PasswordsOptions) {
    this.#cost = cost
    this.#dummy = dummyHash(cost)
    this.#capacity = workers + queueMax
    // The threads start now and stay, so no login waits for one to boot; bare Node, as the worker is plain JS.
    // Niced below the event loop: when hashing fills every core, cheap requests still get the CPU first.
    this.#pool = new Piscina({
      filename: WORKER,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Infinity,
      execArgv: [],
      niceIncrement: 10
    })
  }

  /**
   * Before work that will hash: OVERLOADED (503) when the queue is full, so it cannot grow without bound.
   * The place is held until the first job takes it (pass the admission to `hash` or `verify`) or it is
   * released, so requests admitted together cannot overfill the queue.
   */
  admit (): Admission {
    if (this.#jobs + this.#admitted >= this.#capacity) {
      this.#shed++
      throw Overloaded(1)
    }
    this.#admitted++
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.#admitted--
      }
    }
  }

  /** Live hashing threads: the configured number until `close`, then none. */
  get threads (): number {
    return this.#pool.threads.length
  }

  /** Counts only: cheap enough for every scrape. A thread runs one job at a time. */
  get stats (): HashPoolStats {
    const threads = this.threads
    const running = Math.min(this.#jobs, threads)
    return { threads, running, waiting: this.#jobs - running, shed: this.#shed }
  }

  async hash (password: string, admission?: Admission): Promise<string> {
    return await this.#run(
      { op: 'hash', password: normalizePassword(password), cost: this.#cost }, admission
    ) as string
  }

  /** Whether `hash` is other than the service's own: another format (imported), or bcrypt of another cost. */
  needsRehash (hash: string): boolean {
    return !hash.startsWith(`$2b$${String(this.#cost).padStart(2, '0')}$`)
  }

  /**
   * Compares against `hash`, or against a dummy of equal cost when there is no account.
   * A failed check of another format or cost (an imported pbkdf2 hash, say) would take another time than an
   * unknown account's, and so tell that the account exists. So, after a failed check faster than the running
   * estimate of a bcrypt check at the configured cost, it waits out the difference: a timer, with no CPU spent
   * and no thread held. A slower one cannot be evened out without spending more; import-users bounds the costs.
   */
  async verify (password: string, hash: string | undefined, admission?: Admission): Promise<boolean> {
    const target = hash ?? this.#dummy
    const { match, ms } = await this.#run(
      { op: 'compare', password: normalizePassword(password), hash: target }, admission
    ) as Compared
    if (this.#atCost(target)) this.#sample(ms)
    else if (!match) await this.#even(ms)
    return match && hash !== undefined
  }

  /** Lets the queued and running jobs finish, then ends the threads for good. */
  async close (): Promise<void> {
    this.#closed = true
    await this.#pool.close()
  }

  /** bcrypt (any of its prefixes) at the configured cost: what an unknown account's check costs. */
  #atCost (hash: string): boolean {
    return /^\$2[aby]\$/.test(hash) && hash.slice(4, 7) === `${String(this.#cost).padStart(2, '0')}$`
  }

  #sample (ms: number): void {
    this.#bcryptMs = this.#bcryptMs === undefined ? ms : this.#bcryptMs + (ms - this.#bcryptMs) * ESTIMATE_WEIGHT
  }

  /** Waits until a failed check that took `ms` has lasted as long as a bcrypt check at the configured cost. */
  async #even (ms: number): Promise<void> {
    const since = performance.now()
    const estimate = this.#bcryptMs ?? await this.#measure()
    const delay = estimate - ms - (performance.now() - since)
    if (delay > 0) await sleep(delay)
  }

  /** The first timing, by checking the dummy once, for a failed imported check that comes before any other. */
  #measure (): Promise<number> {
    this.#sampling ??= (this.#run({ op: 'compare', password: '', hash: this.#dummy }) as Promise<Compared>)
      .then(({ ms }) => {
        this.#sample(ms)
        return this.#bcryptMs as number
      })
      .finally(() => { this.#sampling = undefined })
    return this.#sampling
  }

  #run (task: HashTask, admission?: Admission): Promise<string | Compared> {
    admission?.release()
    // Once closed, a late job must not start the threads again.
    if (this.#closed) return Promise.reject(new Error('the hash pool is closed'))
    this.#jobs++
    const job = this.#pool.run(task)
    const settled = () => { this.#jobs-- }
    job.then(settled, settled)
    return job
  }
}
