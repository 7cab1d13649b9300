/** A real SMTP server on loopback for the mail tests: it keeps every message it accepts, parsed. */
import type { AddressInfo } from 'node:net'
import { simpleParser, type AddressObject } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { Teardown } from './types.js'

export interface ReceivedMessage {
  /** The envelope's recipients (RCPT TO), which is where the message was actually sent. */
  envelope: { from: string, to: string[] }
  from: string
  to: string
  subject: string
  text: string
  html: string
  headers: Map<string, unknown>
}

export interface TestSmtp {
  /** For SMTP_URL. */
  url: string
  port: number
  messages: ReceivedMessage[]
  /** true: every message is answered 451 (a temporary failure), as a server that cannot take mail now. */
  refuse: boolean
  /**
   * Holds the answer to the next messages until `release` is called, as a slow server does: `arrived`
   * resolves when the first has been received (and is being held).
   */
  hold: () => { arrived: Promise<void>, release: () => void }
  /** Resolves once `count` messages have arrived; rejects after `timeoutMs`, saying how many did. */
  waitFor: (count: number, timeoutMs?: number) => Promise<ReceivedMessage[]>
  close: () => Promise<void>
}

function addresses (value: AddressObject | AddressObject[] | undefined): string {
  if (value === undefined) return ''
  return (Array.isArray(value) ? value : [value]).map(address => address.text).join(', ')
}

/**
 * Starts an SMTP server on 127.0.0.1, on `port` (0: any free one; a fixed one to bring a server
 * up where the app was told one would be, after it has failed to reach it). Closed when the test ends.
 * No TLS: nodemailer sends in the clear to a server that offers no STARTTLS.
 */
export async function smtpServer (t: Teardown, port = 0): Promise<TestSmtp> {
  const messages: ReceivedMessage[] = []
  const waiters = new Set<() => void>()
  let held: { gate: Promise<void>, arrive: () => void } | undefined
  const state: TestSmtp = {
    url: '',
    port: 0,
    messages,
    refuse: false,
    hold,
    waitFor,
    close
  }

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth (_auth, _session, callback) { callback(null, { user: 'test' }) },
    onData (stream, session, callback) {
      if (state.refuse) {
        stream.resume()
        stream.on('end', () => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })))
        return
      }
      simpleParser(stream).then(async parsed => {
        if (held !== undefined) {
          held.arrive()
          await held.gate
        }
        const mailFrom = session.envelope.mailFrom
        messages.push({
          envelope: {
            from: mailFrom === false ? '' : mailFrom.address,
            to: session.envelope.rcptTo.map(rcpt => rcpt.address)
          },
          from: addresses(parsed.from),
          to: addresses(parsed.to),
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: parsed.html === false ? '' : (parsed.html ?? ''),
          headers: parsed.headers
        })
        for (const wake of waiters) wake()
        callback()
      }, (error: Error) => callback(error))
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  // An error after start-up (a client that hangs up) is not the test's failure.
  server.on('error', () => {})
  state.port = ((server as unknown as { server: { address: () => AddressInfo } }).server.address()).port
  state.url = `smtp://127.0.0.1:${state.port}`

  let closed: Promise<void> | undefined
  function close (): Promise<void> {
    closed ??= new Promise(resolve => server.close(() => resolve()))
    return closed
  }
  t.teardown(close)

  function hold (): { arrived: Promise<void>, release: () => void } {
    let arrive = (): void => {}
    let release = (): void => {}
    const arrived = new Promise<void>(resolve => { arrive = resolve })
    const gate = new Promise<void>(resolve => { release = resolve })
    held = { gate, arrive }
    return { arrived, release: () => { held = undefined; release() } }
  }

  function waitFor (count: number, timeoutMs = 10_000): Promise<ReceivedMessage[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (messages.length < count) return false
        clearTimeout(timer)
        waiters.delete(onMessage)
        resolve(messages.slice())
        return true
      }
      const onMessage = (): void => { check() }
      const timer = setTimeout(() => {
        waiters.delete(onMessage)
        reject(new Error(`expected ${count} messages within ${timeoutMs} ms, got ${messages.length}`))
      }, timeoutMs)
      if (!check()) waiters.add(onMessage)
    })
  }

  return state
}

/** A loopback port with nothing listening on it (now): where an SMTP server is down. */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const { port } = probe.address() as AddressInfo
  await new Promise(resolve => probe.close(resolve))
  return port
}
