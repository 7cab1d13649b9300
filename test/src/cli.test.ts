import t from 'tap'
import { bearer, build, PASSWORD, post } from '../helper.js'
import { query, sharedDatabase } from '../helpers/database.js'
import { eventually } from '../helpers/mail.js'
import { cli } from '../helpers/processes.js'

t.test('create-user makes an admin with the password from standard input, who can then use the admin API', async t => {
  const env = await sharedDatabase(t)
  const created = await cli(['create-user', '--email', 'Root@Example.com', '--role', 'admin', '--name', 'Root'], env, PASSWORD + '\n')
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, /^Created admin Root@Example.com \(id [0-9a-f-]{36}\)\n$/)

  const app = await build(t, env)
  const login = await post(app, '/auth/login', { email: 'root@example.com', password: PASSWORD })
  t.equal(login.statusCode, 200, 'the trailing newline of standard input is not part of the password')
  t.match(login.json().user, { role: 'admin', name: 'Root' })
  const users = await app.inject({ url: '/auth/admin/users', headers: bearer(login.json().accessToken) })
  t.equal(users.statusCode, 200)
})

t.test('create-user takes --password too, and refuses a taken email with exit status 1', async t => {
  const env = await sharedDatabase(t)
  t.equal((await cli(['create-user', '--email', 'a@example.com', '--password', PASSWORD], env)).code, 0)
  const again = await cli(['create-user', '--email', 'A@example.com', '--password', PASSWORD], env)
  t.equal(again.code, 1)
  t.match(again.stderr, /error: An account with this email already exists/)
})

t.test('create-user refuses a password the blocklist refuses, with exit status 1', async t => {
  const env = await sharedDatabase(t)
  const refused = await cli(['create-user', '--email', 'ops@example.com', '--role', 'admin', '--password', 'Password2024!!'], env)
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^error: This password is too common or too easy to guess \(it is a common password with only digits/)
})

t.test('bad arguments print a clear error and the usage, with exit status 2', async t => {
  const env = await sharedDatabase(t)
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage: npm run cli/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['create-user'], /create-user needs --email/],
    [['create-user', '--emial', 'a@example.com'], /Unknown option '--emial'/],
    [['create-user', '--email', 'not-an-email', '--password', PASSWORD], /--email must be a valid email address/],
    [['create-user', '--email', 'a@example.com', '--password', 'short'], /--password must NOT have fewer than 12 characters/],
    [['create-user', '--email', 'a@example.com', '--password', PASSWORD, '--role', 'Admin!'], /--role must be lowercase/],
    [['create-user', '--email', 'a@example.com', '--password', PASSWORD, '--role', 'admin', '--role', 'user'],
      /--role is given more than once/],
    [['create-user', '--email', 'a@example.com', '--email', 'b@example.com', '--password', PASSWORD], /--email is given more than once/],
    [['prune', 'extra'], /Unexpected argument 'extra'/]
  ]
  const twoLines = await cli(['create-user', '--email', 'a@example.com'], env, PASSWORD + '\nsecond line\n')
  t.equal(twoLines.code, 2)
  t.match(twoLines.stderr, /must be a single line/)
  for (const [args, message] of cases) {
    const result = await cli(args, env)
    t.equal(result.code, 2, args.join(' ') || '(none)')
    t.match(result.stderr + result.stdout, message, args.join(' ') || '(none)')
  }
  const app = await build(t, env)
  const created = await query(app)`SELECT count(*) AS count FROM users`
  t.equal(Number(created[0]?.count), 0, 'no account was made by a refused command')
  const config = await cli(['prune'], { ...env, BCRYPT_COST: '99' })
  t.equal(config.code, 1)
  t.match(config.stderr, /BCRYPT_COST must be a whole number from 10 to 15/)
})

t.test('prune deletes ended and expired sessions and expired tokens, and keeps live ones', async t => {
  const env = await sharedDatabase(t)
  const app = await build(t, env)
  const live = (await post(app, '/auth/register', { email: 'live@example.com', password: PASSWORD })).json()
  const ended = (await post(app, '/auth/register', { email: 'ended@example.com', password: PASSWORD })).json()
  await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(ended.accessToken) })
  const expired = (await post(app, '/auth/register', { email: 'expired@example.com', password: PASSWORD })).json()
  await query(app)`UPDATE sessions SET expires_at = ${new Date(1)} WHERE user_id = (SELECT id FROM users WHERE email = 'expired@example.com')`
  await app.close()

  const result = await cli(['prune'], env)
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout, 'Pruned 2 sessions, 2 refresh tokens, 0 audit events, 0 sent messages, 0 email codes, 0 two-factor login challenges and 0 passkey challenges\n')

  const after = await build(t, env)
  t.equal((await after.inject({ url: '/auth/me', headers: bearer(live.accessToken) })).statusCode, 200, 'the live session is kept')
  t.equal((await after.inject({ url: '/auth/me', headers: bearer(ended.accessToken) })).statusCode, 401, 'a pruned session stays ended')
  t.equal((await post(after, '/auth/refresh', { refreshToken: expired.refreshToken })).statusCode, 401)
})

t.test('prune deletes the messages whose codes have expired and the used or expired codes, and keeps the rest', async t => {
  const env = await sharedDatabase(t)
  const app = await build(t, env)
  for (const name of ['old', 'recent', 'used']) {
    t.equal((await post(app, '/auth/register', { email: `${name}@example.com`, password: PASSWORD })).statusCode, 201)
  }
  await eventually(async () => Number((await query(app)`SELECT count(*) AS n FROM mail_outbox WHERE sent_at IS NOT NULL`)[0]?.n) === 3)
  await query(app)`UPDATE mail_outbox SET sent_at = ${new Date(Date.now() - 25 * 3600_000)} WHERE recipient = 'old@example.com'`
  await query(app)`UPDATE email_codes SET used_at = ${new Date()} WHERE email = 'used@example.com'`
  await app.close()

  const result = await cli(['prune'], env)
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout, 'Pruned 0 sessions, 0 refresh tokens, 0 audit events, 1 sent messages, 1 email codes, 0 two-factor login challenges and 0 passkey challenges\n')
  const after = await build(t, env)
  t.same((await query(after)`SELECT recipient FROM mail_outbox ORDER BY recipient`).map(row => row.recipient),
    ['recent@example.com', 'used@example.com'], 'a message whose code may still work is kept')
  t.same((await query(after)`SELECT email FROM email_codes ORDER BY email`).map(row => row.email),
    ['old@example.com', 'recent@example.com'], 'live codes are kept')
})
