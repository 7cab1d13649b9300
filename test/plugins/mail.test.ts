import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import t from 'tap'
import { build } from '../helper.js'
import { query } from '../helpers/database.js'
import { enqueue, eventually, message } from '../helpers/mail.js'
import { smtpServer } from '../helpers/smtp.js'

const FROM = 'Example Auth <no-reply@auth.example.com>'

t.test('a stored message arrives by SMTP with its subject, text and HTML, from MAIL_FROM', async t => {
  const smtp = await smtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, MAIL_FROM: FROM })
  await enqueue(app, message({ to: 'ada@example.com' }))
  const [received] = await smtp.waitFor(1)
  t.match(received, {
    envelope: { from: 'no-reply@auth.example.com', to: ['ada@example.com'] },
    from: FROM.replace('Example Auth', '"Example Auth"'),
    to: 'ada@example.com',
    subject: 'Confirm your email address',
    text: /Hello Ada,[\s\S]*123456[\s\S]*https:\/\/auth\.example\.com\/verify#token=abc[\s\S]*24 hours/,
    html: /Hello Ada,[\s\S]*123456[\s\S]*href="https:\/\/auth\.example\.com\/verify#token=abc"/
  })
  t.equal(received?.headers.get('auto-submitted'), 'auto-generated')
  t.notMatch(received?.text, /\{\{|\}\}/, 'every placeholder is filled')
  t.notMatch(received?.html, /\{\{|\}\}/, 'every placeholder is filled')
})

t.test('every template renders its values; an empty name makes a greeting without one; HTML is escaped', async t => {
  const smtp = await smtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url })
  const data = { name: '', code: '654321', link: 'https://a.example/x#token=t&u=<1>', expiresIn: '1 hour' }
  await enqueue(app,
    message({ template: 'verify-email', data }),
    message({ template: 'reset-password', data: { ...data, name: '<b>Bob</b> & "co"' } }),
    message({ template: 'password-changed', data: { name: 'Cy' } }),
    message({ template: 'change-email', data: { ...data, newEmail: 'new@example.com' } }),
    message({ template: 'email-changed', data: { name: 'Di', newEmail: 'new@example.com' } }))
  const received = await smtp.waitFor(5)
  const bySubject = new Map(received.map(each => [each.subject, each]))
  t.match(bySubject.get('Confirm your email address'), { text: /^Hello,\n[\s\S]*654321/, html: /Hello,<\/p>/ })
  t.match(bySubject.get('Reset your password'), {
    text: /Hello <b>Bob<\/b> & "co",/,
    html: /Hello &lt;b&gt;Bob&lt;\/b&gt; &amp; &quot;co&quot;,[\s\S]*href="https:\/\/a\.example\/x#token=t&amp;u=&lt;1&gt;"/
  })
  t.match(bySubject.get('Your password was changed'), { text: /Hello Cy,[\s\S]*If it wasn't you/ })
  t.match(bySubject.get('Confirm your new email address'), { text: /new@example\.com[\s\S]*654321/ })
  t.match(bySubject.get('Your email address was changed'), { text: /Hello Di,[\s\S]*new@example\.com/ })
})

t.test('a template in MAIL_TEMPLATES_DIR replaces the built-in one; the others fall back', async t => {
  const smtp = await smtpServer(t)
  const dir = t.testdir({
    'verify-email.txt': 'Subject: Welcome to Example{{#name}}, {{name}}{{/name}}\n\nYour code: {{code}}\n',
    'verify-email.html': '<p>Code <b>{{code}}</b>{{^name}} (no name){{/name}}</p>'
  })
  const app = await build(t, { SMTP_URL: smtp.url, MAIL_TEMPLATES_DIR: dir })
  await enqueue(app, message({ data: { name: 'Ada', code: '111222', link: 'l', expiresIn: '1 hour' } }),
    message({ template: 'password-changed', data: { name: 'Ada' } }))
  const received = await smtp.waitFor(2)
  t.match(received.find(each => each.subject.startsWith('Welcome')), {
    subject: 'Welcome to Example, Ada',
    text: 'Your code: 111222\n',
    html: '<p>Code <b>111222</b></p>'
  })
  t.ok(received.find(each => each.subject === 'Your password was changed'), 'a template not replaced is the built-in one')
})

t.test('a malformed template in MAIL_TEMPLATES_DIR stops the start, naming the file', async t => {
  const cases: Array<{ files: Record<string, string>, problem: RegExp }> = [
    { files: { 'reset-password.txt': 'Reset your password\n\nbody' }, problem: /reset-password\.txt: the first line must be "Subject/ },
    { files: { 'verify-email.html': '<p>{{code}} {{password}}</p>' }, problem: /verify-email\.html: unknown placeholder \{\{password\}\}/ },
    { files: { 'email-changed.txt': 'Subject: Changed\n\n{{code}}' }, problem: /email-changed\.txt: unknown placeholder \{\{code\}\}/ },
    { files: { 'change-email.html': '{{#name}}Hello {{name}}' }, problem: /change-email\.html: a \{\{#section\}\}/ },
    { files: { 'verify-email.txt': 'Subject: Hi {{ code\n\nbody' }, problem: /verify-email\.txt: a \{\{ that is not a placeholder/ }
  ]
  for (const { files, problem } of cases) {
    const dir = t.testdir(files)
    await t.rejects(build(t, { MAIL_TEMPLATES_DIR: dir }), { message: problem })
  }
  await t.rejects(build(t, { MAIL_TEMPLATES_DIR: join(t.testdir(), 'missing') }), { message: /is not a folder/ })
})

t.test('without SMTP_URL each message is an .eml file in MAIL_DIR, and the log says so once', async t => {
  const dir = join(t.testdir(), 'mail')
  const lines: string[] = []
  const app = await build(t, { MAIL_DIR: dir, MAIL_FROM: FROM }, {
    overrides: { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  await enqueue(app, message({ to: 'one@example.com' }), message({ to: 'two@example.com', template: 'password-changed', data: { name: 'Bo' } }))
  await eventually(() => readdirSync(dir).filter(file => file.endsWith('.eml')).length === 2)
  const files = readdirSync(dir).filter(file => file.endsWith('.eml'))
  const parsed = await Promise.all(files.map(file => simpleParser(readFileSync(join(dir, file)))))
  const byTo = new Map(parsed.map(each => [each.to !== undefined && !Array.isArray(each.to) ? each.to.text : '', each]))
  t.match(byTo.get('one@example.com'), { subject: 'Confirm your email address', text: /123456/, html: /123456/ })
  t.match(byTo.get('two@example.com'), { subject: 'Your password was changed' })
  for (const each of parsed) t.equal(each.from?.text, '"Example Auth" <no-reply@auth.example.com>')
  const notices = lines.filter(line => line.includes('mail is not delivered'))
  t.equal(notices.length, 1, 'one start-up line')
  t.match(JSON.parse(notices[0] as string), { dir })
  t.equal((await app.mail.backlog()).pending, 0)
})

t.test('the SMTP URL, password and all, is never logged', async t => {
  const smtp = await smtpServer(t)
  const lines: string[] = []
  const url = smtp.url.replace('smtp://', 'smtp://mailer:s3cret-Passw0rd@')
  const app = await build(t, { SMTP_URL: url }, {
    overrides: { logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  await enqueue(app, message())
  await smtp.waitFor(1)
  smtp.refuse = true
  await enqueue(app, message())
  await eventually(async () => (await query(app)`SELECT id FROM mail_outbox WHERE last_error IS NOT NULL`).length === 1)
  t.ok(lines.some(line => line.includes('could not be sent')), 'the failure is logged')
  t.ok(lines.some(line => line.includes('sent through the SMTP server 127.0.0.1')), 'where mail goes is logged')
  t.notOk(lines.some(line => line.includes('s3cret-Passw0rd')), 'the password is not')
})
