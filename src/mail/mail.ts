/** The mail service: messages rendered and stored with the change that needs them, sent in the background. */
import type { FastifyBaseLogger } from 'fastify'
import type { Executor, Store } from '../db/index.js'
import type { AuthEvents } from '../audit/events.js'
import { type Backlog, Outbox } from './outbox.js'
import { DEFAULT_TIMING, MailSender, type SenderTiming } from './sender.js'
import type { TemplateName, Templates } from './templates.js'
import type { Transport } from './transport.js'

export type { Backlog } from './outbox.js'
export type { SenderTiming } from './sender.js'
export { TEMPLATE_DATA, TEMPLATE_NAMES, type TemplateName } from './templates.js'

export interface MailMessage {
  to: string
  template: TemplateName
  /** The template's values (see TEMPLATE_DATA), all strings; never a password or a refresh token. */
  data: Record<string, string>
  /** What the message is for (verify_email, reset_password, …): for the log and the audit trail. */
  purpose: string
  userId?: string
}

export class MailService {
  readonly #templates: Templates
  readonly #outbox: Outbox
  readonly #sender: MailSender
  /** The sender's delays; the tests shorten them before it starts. */
  readonly timing: SenderTiming

  constructor (deps: {
    store: Store, events: AuthEvents, templates: Templates, transport: Transport, log: FastifyBaseLogger
  }) {
    this.#templates = deps.templates
    this.#outbox = new Outbox(deps.store, deps.events)
    this.timing = { ...DEFAULT_TIMING }
    this.#sender = new MailSender({
      outbox: this.#outbox, transport: deps.transport, log: deps.log, timing: this.timing
    })
  }

  /**
   * Renders the message now and stores it in the caller's transaction: it is sent only if that commits,
   * and the request does not wait for the SMTP server. Call `wake` once the transaction has committed.
   */
  async enqueue (message: MailMessage, tx: Executor): Promise<void> {
    const rendered = this.#templates.render(message.template, message.data)
    await this.#outbox.add({ ...rendered, to: message.to, purpose: message.purpose, userId: message.userId }, tx)
  }

  /** Asks the sender to look at the outbox now, without waiting; starts it if this process has not yet. */
  wake (): void {
    if (this.#sender.started) this.#sender.wake()
    else this.#sender.start()
  }

  /** Deletes the messages sent or given up before `before`. */
  prune (before: Date): Promise<number> {
    return this.#outbox.prune(before)
  }

  backlog (): Promise<Backlog> {
    return this.#outbox.backlog()
  }

  /** Starts the background sender: polling, and giving up the messages a stopped sender left taken. */
  start (): void {
    this.#sender.start()
  }

  /** Stops the sender, waiting (bounded) for a message being sent, so that it is marked sent. */
  stop (): Promise<void> {
    return this.#sender.stop()
  }
}
