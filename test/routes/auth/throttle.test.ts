import t from 'tap'
import type { App } from '../../helpers/types.js'
import { bearer, build, listen, PASSWORD, register } from '../../helper.js'
import { STORES } from '../../helpers/redis.js'

/** A clock the test moves by hand. */
function fakeClock (app: App) {
  let now = Date.now()
  app.loginThrottle.now = () => now
  return { advance: (ms: number) => { now += ms } }
}

function attempt (app: App, body: Record<string, unknown>, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/auth/login', payload: body, remoteAddress })
}

const WRONG = 'definitely not the password'

// The same behaviour with the counts in memory and in Redis (REDIS_URL).
for (const { name, skip, env: store } of STORES) {
  t.test(`with the counts in ${name}`, { skip }, async t => {
    t.test('after five failures an account waits, then its correct password works and the count resets', async t => {
      const app = await build(t, store(t))
      const clock = fakeClock(app)
      const { user } = await register(app)
      for (let i = 0; i < 5; i++) t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401)

      const throttled = await attempt(app, { email: user.email, password: PASSWORD })
      t.equal(throttled.statusCode, 429, 'even the right password waits')
      t.equal(throttled.headers['retry-after'], '30')
      t.match(throttled.json(), { statusCode: 429, code: 'TOO_MANY_ATTEMPTS', error: 'Too Many Requests', message: /retry in 30 seconds/ })

      clock.advance(31_000)
      t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200, 'no permanent lock')
      for (let i = 0; i < 4; i++) t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401, 'the count started over')
    })

    t.test('each further failure doubles the wait, up to 15 minutes', async t => {
      const app = await build(t, store(t))
      const clock = fakeClock(app)
      const { user } = await register(app)
      for (let i = 0; i < 5; i++) await attempt(app, { email: user.email, password: WRONG })
      const waits = []
      for (let i = 0; i < 7; i++) {
        const response = await attempt(app, { email: user.email, password: WRONG })
        waits.push(Number(response.headers['retry-after']))
        clock.advance(waits[waits.length - 1] as number * 1000)
        t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401, 'after the wait, one more try is allowed')
      }
      t.strictSame(waits, [30, 60, 120, 240, 480, 900, 900])
    })

    t.test('failures count per identifier across client addresses, and the same for unknown accounts', async t => {
      const app = await build(t, store(t))
      const { user } = await register(app)
      const known: number[] = []
      const unknown: string[] = []
      for (let i = 0; i < 6; i++) {
        const address = `203.0.113.${i}`
        known.push((await attempt(app, { email: i % 2 === 0 ? user.email : `  ${user.email.toUpperCase()} `, password: WRONG }, address)).statusCode)
        unknown.push((await attempt(app, { email: 'nobody@example.com', password: WRONG }, address)).body)
      }
      t.strictSame(known, [401, 401, 401, 401, 401, 429], 'case and spaces do not make a new identifier')
      t.equal(JSON.parse(unknown[5] as string).code, 'TOO_MANY_ATTEMPTS', 'an unknown account is throttled alike: the answer reveals nothing')
      t.equal(unknown[4], (await attempt(app, { email: user.email + '.x', password: WRONG })).body, 'and its 401s are the same bytes')
    })

    t.test('usernames are identifiers of their own', async t => {
      const app = await build(t, store(t))
      const { user } = await register(app, { username: 'throttled' })
      for (let i = 0; i < 5; i++) await attempt(app, { username: 'Throttled', password: WRONG })
      t.equal((await attempt(app, { username: 'THROTTLED', password: PASSWORD })).statusCode, 429)
      t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200)
    })

    t.test('failures older than LOGIN_FAILURE_WINDOW are forgotten', async t => {
      const app = await build(t, { ...store(t), LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW: '10m' })
      const clock = fakeClock(app)
      const { user } = await register(app)
      for (let i = 0; i < 2; i++) await attempt(app, { email: user.email, password: WRONG })
      clock.advance(11 * 60_000)
      for (let i = 0; i < 2; i++) t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401)
      t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200)
    })

    t.test('wrong current passwords at PATCH /auth/password are throttled, apart from the login form', async t => {
      const app = await build(t, store(t))
      const { user, accessToken } = await register(app)
      const change = (currentPassword: string) => app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(accessToken), payload: { currentPassword, newPassword: 'some new passphrase' } })
      for (let i = 0; i < 5; i++) t.equal((await change(WRONG)).statusCode, 401)
      const sixth = await change(PASSWORD)
      t.equal(sixth.statusCode, 429, 'a stolen access token is no unthrottled password oracle')
      t.equal(sixth.json().code, 'TOO_MANY_ATTEMPTS')
      t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200, 'the login form has its own count')
    })

    t.test('a stranger locking the email at the login form does not stop the owner changing the password', async t => {
      const app = await build(t, store(t))
      const { user, accessToken } = await register(app)
      for (let i = 0; i < 6; i++) await attempt(app, { email: user.email, password: WRONG }, `203.0.113.${i}`)
      t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 429)
      const change = await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(accessToken), payload: { currentPassword: PASSWORD, newPassword: 'some new passphrase' } })
      t.equal(change.statusCode, 200)
    })

    t.test('concurrent guesses are all counted: a burst gets no more tries than the limit', async t => {
      const app = await build(t, { ...store(t), LOGIN_MAX_FAILURES: '3' })
      const url = await listen(app)
      const { user } = await register(app)
      const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: WRONG })
      })))
      const statuses = responses.map(response => response.status).sort()
      t.strictSame(statuses, [...Array(3).fill(401), ...Array(17).fill(429)], 'three passwords checked, seventeen refused unchecked')
    })

    t.test('the wait keeps doubling even when it outlasts LOGIN_FAILURE_WINDOW', async t => {
      const app = await build(t, { ...store(t), LOGIN_MAX_FAILURES: '1', LOGIN_FAILURE_WINDOW: '60s' })
      const clock = fakeClock(app)
      const { user } = await register(app)
      const waits = []
      for (let i = 0; i < 5; i++) {
        t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401)
        const throttled = await attempt(app, { email: user.email, password: WRONG })
        waits.push(Number(throttled.headers['retry-after']))
        clock.advance(waits[i] as number * 1000 + 1000)
      }
      t.strictSame(waits, [30, 60, 120, 240, 480])
    })

    t.test('a login by username resets the count of the account’s email too', async t => {
      const app = await build(t, store(t))
      const { user } = await register(app, { username: 'both_ways' })
      for (let i = 0; i < 4; i++) await attempt(app, { email: user.email, password: WRONG })
      t.equal((await attempt(app, { username: 'both_ways', password: PASSWORD })).statusCode, 200)
      const after = [(await attempt(app, { email: user.email, password: WRONG })).statusCode, (await attempt(app, { email: user.email, password: WRONG })).statusCode]
      t.strictSame(after, [401, 401])
    })
  })
}
