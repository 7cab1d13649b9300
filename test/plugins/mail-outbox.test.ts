import { randomUUID } from 'node:crypto'
import t from 'tap'
import { build, listen } from '../helper.js'
import { query, sharedDatabase } from '../helpers/database.js'
import { enqueue, eventually, message, quickRetries } from '../helpers/mail.js'
import { freePort, smtpServer } from '../helpers/smtp.js'

const rows = async (app: Parameters<typeof query>[0]) =>
  await query(app)`SELECT recipient, attempts, claimed_at, sent_at, failed_at, last_error FROM mail_outbox`

t.test('with the SMTP server down, mail waits in the outbox, /health stays 200, and it arrives once the server is up', async t => {
  const port = await freePort()
  const app = await build(t, { SMTP_URL: `smtp://127.0.0.1:${port}` })
  quickRetries(app)
  await enqueue(app, message({ to: 'late@example.com' }))
  await eventually(async () => Number((await rows(app))[0]?.attempts) >= 2)

  // Between two tries (while one is under way, the message is taken, not pending).
  const statuses: number[] = []
  let body: unknown
  await eventually(async () => {
    const health = await app.inject('/health')
    statuses.push(health.statusCode)
    body = health.json()
    return (body as { mail: { pending: number } }).mail.pending === 1
  })
  t.ok(statuses.every(status => status === 200), 'mail failing does not make the service unhealthy')
  t.match(body, { status: 'ok', mail: { pending: 1, oldestPendingSeconds: Number } })
  t.match(await rows(app), [{ sent_at: null, failed_at: null, last_error: /ECONNECTION|ESOCKET|ECONNREFUSED/ }])

  const smtp = await smtpServer(t, port)
  const [received] = await smtp.waitFor(1)
  t.equal(received?.to, 'late@example.com')
  await eventually(async () => (await rows(app))[0]?.sent_at !== null)
  // The sender goes on (another message goes out after it); the one marked sent is never taken again.
  await enqueue(app, message({ to: 'next@example.com' }))
  await smtp.waitFor(2)
  t.same(smtp.messages.map(each => each.to), ['late@example.com', 'next@example.com'], 'each sent exactly once')
  t.strictSame((await app.inject('/health')).json(), { status: 'ok', mail: { pending: 0, oldestPendingSeconds: null } })
})

t.test('a server that refuses (451) is retried, and the message goes once it accepts', async t => {
  const smtp = await smtpServer(t)
  smtp.refuse = true
  const app = await build(t, { SMTP_URL: smtp.url })
  quickRetries(app)
  await enqueue(app, message({ to: 'refused@example.com' }))
  await eventually(async () => /451/.test(String((await rows(app))[0]?.last_error)))
  smtp.refuse = false
  await smtp.waitFor(1)
  await eventually(async () => (await rows(app))[0]?.sent_at !== null)
  t.equal(smtp.messages.length, 1)
})

t.test('after the retry period the message is given up, with a mail_failed event', async t => {
  const port = await freePort()
  const app = await build(t, { SMTP_URL: `smtp://127.0.0.1:${port}` })
  quickRetries(app, { retryForMs: 300 })
  const userId = randomUUID()
  await enqueue(app, message({ userId, purpose: 'reset_password', template: 'reset-password' }))
  await eventually(async () => (await rows(app))[0]?.failed_at !== null)
  const [row] = await rows(app)
  t.ok(Number(row?.attempts) >= 2, 'retried before giving up')
  t.equal(row?.sent_at, null)
  const { events } = await app.events.list({ page: 1, limit: 10, type: 'mail_failed' })
  t.match(events, [{ type: 'mail_failed', userId, reason: /^reset_password: not delivered, retries exhausted/ }])
  t.strictSame((await app.mail.backlog()).pending, 0, 'a message given up is no longer pending')
})

t.test('messages stored before a restart are sent by the next instance once it listens', async t => {
  const database = await sharedDatabase(t)
  const port = await freePort()
  const first = await build(t, { ...database, SMTP_URL: `smtp://127.0.0.1:${port}` })
  // Stored, never woken: the process stops before it tries.
  await first.store.transaction(async tx => {
    await first.mail.enqueue(message({ to: 'a@example.com' }), tx)
    await first.mail.enqueue(message({ to: 'b@example.com' }), tx)
  })
  await first.close()

  const smtp = await smtpServer(t, port)
  const second = await build(t, { ...database, SMTP_URL: smtp.url })
  await listen(second)
  const received = await smtp.waitFor(2)
  t.same(received.map(each => each.to).sort(), ['a@example.com', 'b@example.com'])
})

t.test('a message taken long ago and never marked sent is given up, not sent again; a recent one is left alone', async t => {
  const database = await sharedDatabase(t)
  const first = await build(t, database)
  await first.store.transaction(async tx => {
    for (const to of ['stale@example.com', 'busy@example.com', 'due@example.com']) {
      await first.mail.enqueue(message({ to, userId: to === 'stale@example.com' ? 'u-stale' : undefined }), tx)
    }
  })
  // As the outbox is after a crash mid-send (11 minutes ago), and while another instance sends (now).
  const sql = query(first)
  await sql`UPDATE mail_outbox SET claimed_at = ${new Date(Date.now() - 11 * 60_000)}, attempts = 1 WHERE recipient = 'stale@example.com'`
  await sql`UPDATE mail_outbox SET claimed_at = ${new Date()}, attempts = 1 WHERE recipient = 'busy@example.com'`
  await first.close()

  const smtp = await smtpServer(t)
  const second = await build(t, { ...database, SMTP_URL: smtp.url })
  await listen(second)
  await smtp.waitFor(1)
  await eventually(async () => (await rows(second)).find(row => row.recipient === 'stale@example.com')?.failed_at !== null)
  const { events } = await second.events.list({ page: 1, limit: 10, type: 'mail_failed' })
  t.match(events, [{ userId: 'u-stale', reason: 'verify_email: interrupted' }])
  const byRecipient = new Map((await rows(second)).map(row => [row.recipient, row]))
  t.match(byRecipient.get('busy@example.com'), { sent_at: null, failed_at: null })
  t.not(byRecipient.get('busy@example.com')?.claimed_at, null, 'still taken by its instance')
  await enqueue(second, message({ to: 'later@example.com' }))
  await smtp.waitFor(2)
  t.same(smtp.messages.map(each => each.to), ['due@example.com', 'later@example.com'], 'neither taken message is sent')
})

t.test('closing waits for the message being sent, so that it is marked sent, not left taken', async t => {
  const database = await sharedDatabase(t)
  const smtp = await smtpServer(t)
  const first = await build(t, { ...database, SMTP_URL: smtp.url })
  const { arrived, release } = smtp.hold()
  await enqueue(first, message({ to: 'slow@example.com' }))
  await arrived
  // Released a while after closing began: long enough for a close that did not wait to be over.
  const releasing = setTimeout(release, 300)
  t.teardown(() => clearTimeout(releasing))
  await first.close()
  t.equal(smtp.messages.length, 1)

  const second = await build(t, database)
  t.match(await rows(second), [{ recipient: 'slow@example.com', sent_at: /./, failed_at: null }])
})
