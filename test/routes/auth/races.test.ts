import { connect } from 'node:net'
import t from 'tap'
import type { App } from '../../helpers/types.js'
import { bearer, build, listen, login, meStatus, PASSWORD, post, register } from '../../helper.js'
import { query, sharedDatabase } from '../../helpers/database.js'

/** Runs `during` while the next password comparison is in progress: a change racing a login. */
function duringNextPasswordCheck (app: App, during: () => unknown): void {
  const verify = app.passwords.verify.bind(app.passwords)
  app.passwords.verify = async (password, hash, admission) => {
    app.passwords.verify = verify
    const result = await verify(password, hash, admission)
    await during()
    return result
  }
}

t.test('an account disabled while its password is being checked does not get a session', async t => {
  const app = await build(t)
  const { user } = await register(app)
  duringNextPasswordCheck(app, () => query(app)`UPDATE users SET disabled_at = ${new Date()} WHERE id = ${user.id}`)
  const response = await post(app, '/auth/login', { email: user.email, password: PASSWORD })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'INVALID_CREDENTIALS')
  t.equal(Number((await query(app)`SELECT count(*) AS n FROM sessions WHERE user_id = ${user.id} AND revoked_at IS NULL`)[0]?.n), 1, 'only the session from registration')
})

t.test('a password changed while a login checks the old one does not let the login in', async t => {
  const app = await build(t)
  const { user } = await register(app)
  duringNextPasswordCheck(app, async () => {
    await query(app)`UPDATE users SET password_hash = ${await app.passwords.hash('the brand new password')} WHERE id = ${user.id}`
  })
  const response = await post(app, '/auth/login', { email: user.email, password: PASSWORD })
  t.equal(response.statusCode, 401)
})

t.test('an account deleted while its password is being checked is a 401, not a 500', async t => {
  const app = await build(t)
  const { user } = await register(app)
  duringNextPasswordCheck(app, () => query(app)`DELETE FROM users WHERE id = ${user.id}`)
  const response = await post(app, '/auth/login', { email: user.email, password: PASSWORD })
  t.equal(response.statusCode, 401)
})

t.test('a login signs the role the account has once the password is checked', async t => {
  const app = await build(t)
  const { user } = await register(app)
  duringNextPasswordCheck(app, () => query(app)`UPDATE users SET role = 'support' WHERE id = ${user.id}`)
  const response = await post(app, '/auth/login', { email: user.email, password: PASSWORD })
  const claims = (await post(app, '/auth/token/verify', { token: response.json().accessToken })).json().payload
  t.equal(claims.role, 'support')
  t.equal(response.json().user.role, 'support')
})

t.test('a password change from a session that ends meanwhile is refused', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app)
  duringNextPasswordCheck(app, () => query(app)`UPDATE sessions SET revoked_at = ${new Date()}`)
  const response = await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(accessToken), payload: { currentPassword: PASSWORD, newPassword: 'a different passphrase' } })
  t.equal(response.statusCode, 401)
  t.equal((await post(app, '/auth/login', { email: user.email, password: PASSWORD })).statusCode, 200, 'the password is unchanged')
})

t.test('of two password changes at once, one wins and the other changes nothing', async t => {
  const app = await build(t)
  const victim = await register(app)
  const thief = await login(app, victim.user.email)
  // The thief's change commits while the victim's is between its check and its commit.
  duringNextPasswordCheck(app, async () => {
    const stolen = await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(thief.accessToken), payload: { currentPassword: PASSWORD, newPassword: 'the thief’s password' } })
    t.equal(stolen.statusCode, 200)
  })
  const response = await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(victim.accessToken), payload: { currentPassword: PASSWORD, newPassword: 'the victim’s password' } })
  t.equal(response.statusCode, 401, 'the victim’s session was ended by the other change')
  t.equal((await post(app, '/auth/login', { email: victim.user.email, password: 'the thief’s password' })).statusCode, 200)
  t.equal((await post(app, '/auth/login', { email: victim.user.email, password: 'the victim’s password' })).statusCode, 401)
})

/** Sends a request's head now and its body when `send` is called; resolves with the status. */
function slowRequest (url: string, method: string, path: string, headers: Record<string, string>, body: string) {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  const head = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''].join('\r\n')
  let answer = ''
  socket.on('data', chunk => { answer += String(chunk) })
  const status = new Promise<number>((resolve, reject) => {
    socket.on('close', () => resolve(Number(answer.slice(9, 12))))
    socket.on('error', reject)
  })
  return new Promise<{ send: () => Promise<number> }>(resolve => {
    socket.write(head, () => resolve({ send: () => { socket.write(body); return status } }))
  })
}

t.test('a request whose body arrives after a logout is refused', async t => {
  const app = await build(t)
  const url = await listen(app)
  const { accessToken } = await register(app, { name: 'Before' })
  const pending = await slowRequest(url, 'PATCH', '/auth/me', bearer(accessToken), JSON.stringify({ name: 'After' }))
  t.equal((await fetch(`${url}/auth/logout`, { method: 'POST', headers: bearer(accessToken) })).status, 200)
  t.equal(await pending.send(), 401)
  const name = (await query(app)`SELECT name FROM users`)[0]?.name
  t.equal(name, 'Before', 'nothing was changed')
})

t.test('an admin request whose body arrives after the admin was disabled is refused', async t => {
  const app = await build(t)
  const url = await listen(app)
  const rogue = await login(app, (await app.accounts.createUser({ email: 'rogue@example.com', password: PASSWORD, role: 'admin' })).email)
  const boss = await login(app, (await app.accounts.createUser({ email: 'boss@example.com', password: PASSWORD, role: 'admin' })).email)
  const accomplice = await register(app)
  const pending = await slowRequest(url, 'PATCH', `/auth/admin/users/${accomplice.user.id}/role`, bearer(rogue.accessToken), JSON.stringify({ role: 'admin' }))
  t.equal((await app.inject({ method: 'POST', url: `/auth/admin/users/${rogue.user.id}/disable`, headers: bearer(boss.accessToken) })).statusCode, 200)
  t.equal(await pending.send(), 401)
  t.equal((await query(app)`SELECT role FROM users WHERE id = ${accomplice.user.id}`)[0]?.role, 'user')
})

t.test('a live session of a disabled account does not verify', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app)
  await query(app)`UPDATE users SET disabled_at = ${new Date()} WHERE id = ${user.id}`
  t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 401)
  t.equal(await meStatus(app, accessToken), 401)
})

t.test('two admins acting on each other at the same moment, on two instances: one acts, the other is refused', async t => {
  const database = await sharedDatabase(t)
  const first = await build(t, database)
  const second = await build(t, database)
  const urls = [await listen(first), await listen(second)]
  const actions = [
    { name: 'delete', method: 'DELETE', path: (id: string) => `/auth/admin/users/${id}`, body: undefined },
    { name: 'demote', method: 'PATCH', path: (id: string) => `/auth/admin/users/${id}/role`, body: JSON.stringify({ role: 'user' }) },
    { name: 'disable', method: 'POST', path: (id: string) => `/auth/admin/users/${id}/disable`, body: undefined }
  ]
  for (const action of actions) {
    for (let round = 0; round < 4; round++) {
      const admins = []
      for (const side of ['a', 'b']) {
        const email = `${action.name}-${round}-${side}@example.com`
        await first.accounts.createUser({ email, password: PASSWORD, role: 'admin' })
        admins.push(await login(first, email))
      }
      const [a, b] = admins as [Awaited<ReturnType<typeof login>>, Awaited<ReturnType<typeof login>>]
      const send = (base: string, actor: typeof a, target: typeof a) => fetch(base + action.path(target.user.id), {
        method: action.method,
        headers: { ...bearer(actor.accessToken), ...(action.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: action.body
      })
      const answers = await Promise.all([send(urls[0] as string, a, b), send(urls[1] as string, b, a)])
      const statuses = answers.map(answer => answer.status).sort()
      t.equal(statuses[0], 200, `${action.name}, round ${round}: one admin acts`)
      t.ok([401, 403].includes(statuses[1] as number), `${action.name}, round ${round}: the other is refused (${statuses[1]})`)
      const left = await query(first)`SELECT count(*) AS count FROM users WHERE role = 'admin' AND disabled_at IS NULL AND email IN (${a.user.email}, ${b.user.email})`
      t.equal(Number(left[0]?.count), 1, `${action.name}, round ${round}: one of the two is still an enabled admin`)
    }
  }
})
