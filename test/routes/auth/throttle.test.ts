import t from 'tap'
import type { App } from '../../helper.js'
import { bearer, build, PASSWORD, register } from '../../helper.js'

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

t.test('after five failures an account waits, then its correct password works and the count resets', async t => {
  const app = await build(t)
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
  const app = await build(t)
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
  const app = await build(t)
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
  const app = await build(t)
  const { user } = await register(app, { username: 'throttled' })
  for (let i = 0; i < 5; i++) await attempt(app, { username: 'Throttled', password: WRONG })
  t.equal((await attempt(app, { username: 'THROTTLED', password: PASSWORD })).statusCode, 429)
  t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200)
})

t.test('failures older than LOGIN_FAILURE_WINDOW are forgotten', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW: '10m' })
  const clock = fakeClock(app)
  const { user } = await register(app)
  for (let i = 0; i < 2; i++) await attempt(app, { email: user.email, password: WRONG })
  clock.advance(11 * 60_000)
  for (let i = 0; i < 2; i++) t.equal((await attempt(app, { email: user.email, password: WRONG })).statusCode, 401)
  t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 200)
})

t.test('a wrong current password at PATCH /auth/password counts as a failed login', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app)
  const change = () => app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(accessToken), payload: { currentPassword: WRONG, newPassword: 'some new passphrase' } })
  for (let i = 0; i < 5; i++) t.equal((await change()).statusCode, 401)
  const sixth = await change()
  t.equal(sixth.statusCode, 429)
  t.equal(sixth.json().code, 'TOO_MANY_ATTEMPTS')
  t.equal((await attempt(app, { email: user.email, password: PASSWORD })).statusCode, 429, 'login with that email waits too')
})
