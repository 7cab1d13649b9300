/**
 * The service's Prometheus metrics: a registry of its own (several apps in one process must not share the
 * global one), what is counted as it happens, and what is read from the services at each scrape.
 */
import type { FastifyBaseLogger } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client'
import type { AuthEvent } from '../audit/events.js'
import type { Backlog } from '../mail/mail.js'
import type { HashPoolStats } from '../passwords/passwords.js'
import { EVENT_TYPES, type EventType } from '../../schemas/events.js'

/** What the metrics read at each scrape. */
export interface MetricSources {
  hashPool: () => HashPoolStats
  sessionCache: () => { hits: number, misses: number }
  /** A database query: bounded by BACKLOG_TIMEOUT_MS, and a failure leaves its gauges out of the scrape. */
  mailBacklog: () => Promise<Backlog>
  log: FastifyBaseLogger
}

/**
 * The reasons that are labels: fixed strings, per event type. Any other reason (free text, such as a reused
 * refresh token's "spent by …", the fields of a profile change, or a role) is left out, as a label's values
 * must stay few.
 */
export const REASON_LABELS: Partial<Record<EventType, readonly string[]>> = {
  login_failure: [
    'unknown_account', 'wrong_password', 'disabled', 'email_not_verified', 'mfa_unsupported_client',
    'wrong_current_password', 'passkey_challenge', 'unknown_passkey', 'passkey_signature'
  ],
  // The second factor of a login that had one, or a passkey's sign-in; none: a password alone.
  login_success: ['totp', 'recovery_code', 'passkey'],
  logout: ['all_sessions']
}

/** A scrape waits no longer for the outbox's query: Prometheus' own timeout is 10 s by default. */
const BACKLOG_TIMEOUT_MS = 2000

type RequestLabel = 'method' | 'route' | 'status_code'

export class Metrics {
  readonly registry = new Registry()
  readonly #requests: Histogram<RequestLabel>
  readonly #events: Counter<'type' | 'reason'>
  readonly #sources: MetricSources
  readonly #collectErrors: Counter<'source'>
  /** The outbox query in flight: the two backlog gauges, collected together, share it. */
  #backlog: Promise<Backlog | undefined> | undefined

  constructor (sources: MetricSources) {
    this.#sources = sources
    const registers = [this.registry]
    // The process's own: CPU, memory, heap, GC, handles, and the event loop's delay (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry })

    this.#requests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer a request, by method, route pattern and status code (its _count counts requests)',
      labelNames: ['method', 'route', 'status_code'],
      registers
    })

    this.#events = new Counter({
      name: 'auth_events_total',
      help: 'Audit events recorded, by type and, for a fixed set of reasons (a failed login\'s), reason',
      labelNames: ['type', 'reason'],
      registers
    })
    // Every series from the start at 0, so that a rate over the first event is not lost.
    for (const type of EVENT_TYPES) {
      for (const reason of ['', ...REASON_LABELS[type] ?? []]) this.#events.inc({ type, reason }, 0)
    }

    const backlog = () => this.#readBacklog()
    this.#collectErrors = new Counter({
      name: 'metrics_collect_errors_total',
      help: 'Scrapes in which a source could not be read (its metrics were left out)',
      labelNames: ['source'],
      registers,
      // Collected with the gauges, in parallel: it joins their query, so that it counts this scrape's failure.
      async collect () { await backlog() }
    })

    this.#hashPool()
    this.#sessionCache()
    this.#mailOutbox()
  }

  /** One answered request. On the hot path: one observation, labelled by the route's pattern, never its URL. */
  observeRequest (method: string, route: string | undefined, statusCode: number, milliseconds: number): void {
    // No route matched (a 404): one series for them all.
    this.#requests.observe({ method, route: route ?? 'unmatched', status_code: statusCode }, milliseconds / 1000)
  }

  /** One audit event: its type, and its reason when that is one of the fixed ones. */
  countEvent (event: AuthEvent): void {
    const reason = event.reason != null && REASON_LABELS[event.type]?.includes(event.reason) === true
      ? event.reason
      : ''
    this.#events.inc({ type: event.type, reason })
  }

  /** The text exposition format. */
  scrape (): Promise<string> {
    return this.registry.metrics()
  }

  #readBacklog (): Promise<Backlog | undefined> {
    this.#backlog ??= this.#boundedBacklog().finally(() => { this.#backlog = undefined })
    return this.#backlog
  }

  /** Read at each scrape: counts only, no I/O. */
  #hashPool (): void {
    const pool = () => this.#sources.hashPool()
    this.#register(new Gauge({
      name: 'hash_pool_threads',
      help: 'Threads that hash passwords',
      registers: [],
      collect () { this.set(pool().threads) }
    }))
    this.#register(new Gauge({
      name: 'hash_pool_queue_depth',
      help: 'Hash jobs waiting for a thread',
      registers: [],
      collect () { this.set(pool().waiting) }
    }))
    this.#register(new Gauge({
      name: 'hash_pool_utilization',
      help: 'Busy hashing threads, as a share of all (0 to 1)',
      registers: [],
      collect () {
        const { threads, running } = pool()
        this.set(threads === 0 ? 0 : running / threads)
      }
    }))
    this.#register(new Counter({
      name: 'hash_pool_shed_total',
      help: 'Requests turned away with 503 OVERLOADED because the hash queue was full',
      registers: [],
      collect () {
        this.reset()
        this.inc(pool().shed)
      }
    }))
  }

  /** The service's own counts, read at each scrape: a hit ratio is rate(hit) / rate(hit + miss). */
  #sessionCache (): void {
    const { sessionCache } = this.#sources
    this.#register(new Counter({
      name: 'session_cache_lookups_total',
      help: 'Session checks of the auth guard, by whether the live-session cache answered (hit) or not (miss)',
      labelNames: ['result'],
      registers: [],
      collect () {
        const { hits, misses } = sessionCache()
        this.reset()
        this.inc({ result: 'hit' }, hits)
        this.inc({ result: 'miss' }, misses)
      }
    }))
  }

  /** One query per scrape, shared by both gauges; when it fails, they are left out rather than reported as 0. */
  #mailOutbox (): void {
    const backlog = () => this.#readBacklog()
    this.#register(new Gauge({
      name: 'mail_outbox_pending',
      help: 'Messages waiting in the outbox to be sent',
      registers: [],
      async collect () {
        const read = await backlog()
        if (read === undefined) this.remove()
        else this.set(read.pending)
      }
    }))
    this.#register(new Gauge({
      name: 'mail_outbox_oldest_pending_seconds',
      help: 'Age of the oldest message waiting in the outbox (0 when none waits)',
      registers: [],
      async collect () {
        const read = await backlog()
        if (read === undefined) this.remove()
        else this.set(read.oldestPendingSeconds ?? 0)
      }
    }))
  }

  #register (metric: Metric): void {
    this.registry.registerMetric(metric)
  }

  /** The outbox's backlog, or undefined (logged and counted) when the database fails or is slow. */
  async #boundedBacklog (): Promise<Backlog | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${BACKLOG_TIMEOUT_MS} ms`)), BACKLOG_TIMEOUT_MS)
    })
    try {
      return await Promise.race([this.#sources.mailBacklog(), timeout])
    } catch (error) {
      this.#collectErrors.inc({ source: 'mail_outbox' })
      this.#sources.log.warn({ err: error }, 'metrics: the mail outbox could not be read; its gauges are left out')
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}
