/** Storing messages the way the flows do, and waiting for the sender, for the mail tests. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { MailMessage } from '../../src/mail/mail.js'
import type { App } from './types.js'

let sent = 0
/** A verify-email message to a fresh address, overridable field by field. */
export function message (fields: Partial<MailMessage> = {}): MailMessage {
  sent += 1
  return {
    to: `reader${sent}.${process.pid}@example.com`,
    template: 'verify-email',
    data: { name: 'Ada', code: '123456', link: 'https://auth.example.com/verify#token=abc', expiresIn: '24 hours' },
    purpose: 'verify_email',
    ...fields
  }
}

/** Stores messages in one transaction, as a flow does, then wakes the sender after it has committed. */
export async function enqueue (app: App, ...messages: MailMessage[]): Promise<void> {
  await app.store.transaction(async tx => {
    for (const each of messages) await app.mail.enqueue(each, tx)
  })
  app.mail.wake()
}

/** The sender's delays, short: retries within milliseconds rather than minutes. */
export function quickRetries (app: App, timing: Partial<App['mail']['timing']> = {}): void {
  Object.assign(app.mail.timing, { pollIntervalMs: 20, firstRetryDelayMs: 20, maxRetryDelayMs: 50, ...timing })
}

/** Resolves once `check` returns true; checks every 20 ms, fails after `timeoutMs`. */
export async function eventually (check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(20)
  }
}
