/**
 * The sender: drains the outbox in the background, one message at a time, when woken and every few
 * seconds (for retries, and messages another instance stored). A message refused, or whose server cannot
 * be reached, is retried with backoff until it has waited `retryForMs`, then given up with an audit event.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { MailRow } from '../db/schema.js'
import type { Outbox } from './outbox.js'
import type { Transport } from './transport.js'

export interface SenderTiming {
  /** How often the outbox is looked at without being woken. */
  pollIntervalMs: number
  /** The first retry's delay; each next one doubles, up to `maxRetryDelayMs`. */
  firstRetryDelayMs: number
  maxRetryDelayMs: number
  /** How long a message is retried, from when it was stored, before it is given up. */
  retryForMs: number
  /** A message taken longer ago than this and never marked sent was interrupted mid-send. */
  staleClaimMs: number
  /** How long closing waits for a send in flight. */
  closeTimeoutMs: number
}

export const DEFAULT_TIMING: SenderTiming = {
  pollIntervalMs: 5_000,
  firstRetryDelayMs: 30_000,
  maxRetryDelayMs: 15 * 60_000,
  retryForMs: 60 * 60_000,
  // Far above the transport's own timeouts, so that no send still running is taken for an interrupted one.
  staleClaimMs: 10 * 60_000,
  closeTimeoutMs: 10_000
}

/** The retry delay after `attempts` tries, give or take a tenth so that instances do not retry in step. */
export function retryDelay (timing: SenderTiming, attempts: number): number {
  const base = Math.min(timing.maxRetryDelayMs, timing.firstRetryDelayMs * 2 ** Math.max(0, attempts - 1))
  return Math.round(base * (0.9 + Math.random() * 0.2))
}

export class MailSender {
  readonly #outbox: Outbox
  readonly #transport: Transport
  readonly #log: FastifyBaseLogger
  readonly #timing: SenderTiming
  #started = false
  #stopped = false
  #poller: NodeJS.Timeout | undefined
  #lastStaleCheck = 0
  #draining: Promise<void> | undefined
  #again = false

  constructor (deps: { outbox: Outbox, transport: Transport, log: FastifyBaseLogger, timing: SenderTiming }) {
    this.#outbox = deps.outbox
    this.#transport = deps.transport
    this.#log = deps.log
    this.#timing = deps.timing
  }

  get started (): boolean {
    return this.#started
  }

  /** Starts polling, and drains at once; does nothing once started or stopped. */
  start (): void {
    if (this.#started || this.#stopped) return
    this.#started = true
    this.#poller = setInterval(() => this.wake(), this.#timing.pollIntervalMs)
    // The process may exit while the sender waits: what is due is found at the next start.
    this.#poller.unref()
    this.wake()
  }

  /** Drains the outbox soon, without waiting; a drain under way looks again before it ends. */
  wake (): void {
    if (this.#stopped) return
    if (this.#draining !== undefined) {
      this.#again = true
      return
    }
    this.#draining = this.#drain()
      .catch(error => {
        this.#log.error({ err: error }, 'mail: the outbox could not be drained; retrying at the next poll')
      })
      .finally(() => { this.#draining = undefined })
  }

  /** Stops taking messages, and waits (at most `closeTimeoutMs`) for the one being sent. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#poller)
    if (this.#draining === undefined) return
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, this.#timing.closeTimeoutMs) })
    await Promise.race([this.#draining, timeout])
    clearTimeout(timer)
  }

  async #drain (): Promise<void> {
    const now = Date.now()
    if (now - this.#lastStaleCheck >= Math.min(this.#timing.staleClaimMs, 60_000)) {
      this.#lastStaleCheck = now
      const stale = await this.#outbox.failStale(now - this.#timing.staleClaimMs, now)
      for (const row of stale) {
        this.#log.warn({ mailId: row.id, purpose: row.purpose },
          'mail: a message was being sent when its sender stopped; it may have gone out, and is not sent again')
      }
    }
    while (!this.#stopped) {
      this.#again = false
      const row = await this.#outbox.claim()
      if (row === undefined) {
        if (this.#again) continue
        return
      }
      await this.#send(row)
    }
  }

  async #send (row: MailRow): Promise<void> {
    try {
      const { id, recipient: to, subject, text, html } = row
      await this.#transport.send({ id, to, subject, text, html })
    } catch (error) {
      const cause = describe(error)
      const now = Date.now()
      if (now - row.createdAt.getTime() >= this.#timing.retryForMs) {
        this.#log.error({ mailId: row.id, purpose: row.purpose, attempts: row.attempts, cause },
          'mail: giving a message up, its retries exhausted')
        await this.#outbox.fail(row, cause, 'not delivered, retries exhausted', now)
        return
      }
      const at = now + retryDelay(this.#timing, row.attempts)
      this.#log.warn({ mailId: row.id, purpose: row.purpose, attempts: row.attempts, cause, retryAt: new Date(at) },
        'mail: a message could not be sent; it will be retried')
      await this.#outbox.retry(row.id, cause, at)
      return
    }
    await this.#outbox.sent(row.id)
    this.#log.info({ mailId: row.id, purpose: row.purpose }, 'mail: sent')
  }
}

/** The server's answer or the network error, short: kept in the outbox and the log, never the URL. */
function describe (error: unknown): string {
  const { code, responseCode, message } = error as { code?: string, responseCode?: number, message?: string }
  const text = [code, responseCode, message].filter(part => part !== undefined).join(' ')
  return text.slice(0, 500)
}
