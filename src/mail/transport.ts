/** Handing one message over: to the SMTP server of SMTP_URL, or as an .eml file in MAIL_DIR without one. */
import { mkdirSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import nodemailer from 'nodemailer'

export interface OutgoingMessage {
  id: string
  to: string
  subject: string
  text: string
  html: string
}

export interface Transport {
  /** Resolves once the server has accepted the message (or the file is written); rejects otherwise. */
  send: (message: OutgoingMessage) => Promise<void>
  /** Where messages go, for the log: never the URL, which holds a password. */
  readonly description: string
}

/**
 * Each wait bounded well under the time after which a taken, unsent message is given up as interrupted
 * (STALE_CLAIM_MS): nodemailer's own defaults (2 minutes to connect, 10 of silence) are longer than
 * anything a healthy server needs.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000, dnsTimeout: 15_000 }

function headers (message: OutgoingMessage, from: string) {
  // The outbox id makes the Message-ID: a receiver can tell copies apart, and an operator find the row.
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost'
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: `<${message.id}@${domain}>`,
    // Out-of-office replies and the like are not sent back to an automatic message (RFC 3834).
    headers: { 'Auto-Submitted': 'auto-generated' }
  }
}

/** SMTP: STARTTLS whenever the server offers it on smtp://, TLS from the start on smtps://. */
export function smtpTransport (url: string, from: string): Transport {
  const transporter = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS })
  const { hostname, port } = new URL(url)
  return {
    description: `SMTP server ${hostname}:${port === '' ? 'default port' : port}`,
    async send (message) {
      await transporter.sendMail(headers(message, from))
    }
  }
}

/** One .eml file a message, as Django's file-based backend writes them: for development, or to see what is sent. */
export function fileTransport (dir: string, from: string): Transport {
  mkdirSync(dir, { recursive: true })
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    description: `.eml files in ${dir}`,
    async send (message) {
      const info = await composer.sendMail(headers(message, from))
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      const file = join(dir, `${stamp}-${message.id}.eml`)
      // Written aside and renamed, so that a reader never finds half a message.
      await writeFile(`${file}.tmp`, info.message as Buffer)
      await rename(`${file}.tmp`, file)
    }
  }
}
