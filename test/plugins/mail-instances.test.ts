/**
 * Several instances drain one outbox on PostgreSQL, as instances on several machines do: claims with
 * FOR UPDATE SKIP LOCKED, so that each message goes once. (SQLite serves one instance: its apps in one
 * process would wait on each other's file lock with the event loop blocked.)
 */
import t from 'tap'
import { build } from '../helper.js'
import { POSTGRES_SKIP, postgresDatabase } from '../helpers/database.js'
import { message } from '../helpers/mail.js'
import { smtpServer } from '../helpers/smtp.js'

const MESSAGES = 100

t.test('three instances on one PostgreSQL database send each of many messages exactly once', { skip: POSTGRES_SKIP }, async t => {
  const database = await postgresDatabase(t)
  const smtp = await smtpServer(t)
  const apps = [
    await build(t, { ...database, SMTP_URL: smtp.url }),
    await build(t, { ...database, SMTP_URL: smtp.url }),
    await build(t, { ...database, SMTP_URL: smtp.url })
  ] as const
  const [first] = apps
  const recipients = Array.from({ length: MESSAGES }, (_, index) => `reader${index}@example.com`)
  await first.store.transaction(async tx => {
    for (const to of recipients) await first.mail.enqueue(message({ to }), tx)
  })
  // All at once, so that they take from the outbox at the same time.
  for (const app of apps) app.mail.wake()
  await smtp.waitFor(MESSAGES, 30_000)
  // Closing waits for any send in flight: a second copy would have arrived by then.
  for (const app of apps) await app.close()

  const sent = smtp.messages.map(each => each.envelope.to.join(','))
  t.equal(sent.length, MESSAGES, 'as many messages arrived as were stored')
  t.same([...new Set(sent)].sort(), [...recipients].sort(), 'each recipient got one')
})
