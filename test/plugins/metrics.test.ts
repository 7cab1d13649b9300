import t from 'tap'
import { ON_POSTGRES } from '../helpers/database.js'
import type { App } from '../helpers/types.js'
import { bearer, build, listen, login, newUser, PASSWORD, post, register } from '../helper.js'

const METRICS = { METRICS_PORT: '0' }

interface Sample { name: string, labels: Record<string, string>, value: number }

/** The samples of the text exposition format (comments left out). */
function parse (text: string): Sample[] {
  return text.split('\n').filter(line => line !== '' && !line.startsWith('#')).map(line => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not a sample: ${line}`)
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, name, value]) => [name, value]))
    return { name: match[1] as string, labels, value: Number(match[3]) }
  })
}

/** The value of the one sample of `name` with exactly `labels`; undefined when there is none. */
function value (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const keys = Object.keys(labels)
  return samples.find(sample => sample.name === name && Object.keys(sample.labels).length === keys.length &&
    keys.every(key => sample.labels[key] === labels[key]))?.value
}

/** The app listening, and the base URL of its metrics server. */
async function start (app: App): Promise<string> {
  await listen(app)
  const address = await (app.metrics as NonNullable<App['metrics']>).listening
  return `http://127.0.0.1:${address.port}`
}

async function scrape (metricsUrl: string): Promise<Sample[]> {
  const response = await fetch(`${metricsUrl}/metrics`)
  if (response.status !== 200) throw new Error(`scrape: ${response.status}`)
  return parse(await response.text())
}

function sessionId (accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString()).sid
}

t.test('without METRICS_PORT nothing is measured or served, and /metrics on the API port is a 404', async t => {
  const app = await build(t)
  t.equal(app.metrics, undefined)
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 404)
})

t.test('GET /metrics on its own port: the text format, and nothing else there', async t => {
  const app = await build(t, METRICS)
  const metricsUrl = await start(app)
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 404, 'never on the API port')

  const response = await fetch(`${metricsUrl}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  t.match(text, /^# HELP /)
  const samples = parse(text)
  for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds',
    'hash_pool_threads', 'hash_pool_queue_depth', 'hash_pool_utilization', 'hash_pool_shed_total']) {
    t.type(value(samples, name), 'number', name)
  }
  t.equal(value(samples, 'hash_pool_threads'), 1)
  t.equal(value(samples, 'mail_outbox_pending'), 0)
  t.equal(value(samples, 'mail_outbox_oldest_pending_seconds'), 0)

  t.equal((await fetch(`${metricsUrl}/`)).status, 404)
  t.equal((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status, 405)
  const head = await fetch(`${metricsUrl}/metrics`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
})

t.test('requests are counted by route pattern and status, auth events by type and fixed reason', async t => {
  const app = await build(t, { ...METRICS, REFRESH_REUSE_GRACE: '0' })
  const metricsUrl = await start(app)
  const before = await scrape(metricsUrl)
  t.equal(value(before, 'auth_events_total', { type: 'login_failure', reason: 'wrong_password' }), 0,
    'every fixed reason is there from the start')

  const { user, refreshToken } = await register(app)
  t.equal((await post(app, '/auth/login', { email: user.email, password: PASSWORD })).statusCode, 200)
  t.equal((await post(app, '/auth/login', { email: user.email, password: 'not the password at all' })).statusCode, 401)
  t.equal((await post(app, '/auth/login', { email: 'nobody@example.com', password: PASSWORD })).statusCode, 401)
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 200)
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 401, 'the spent token again: reuse')
  const second = await register(app)
  const ended = await app.inject({
    method: 'DELETE', url: `/auth/sessions/${sessionId(second.accessToken)}`, headers: bearer(second.accessToken)
  })
  t.equal(ended.statusCode, 200)
  t.equal((await app.inject({ url: '/nowhere/12345' })).statusCode, 404)

  const samples = await scrape(metricsUrl)
  const events = (type: string, reason = '') => value(samples, 'auth_events_total', { type, reason })
  t.equal(events('register'), 2)
  t.equal(events('login_success'), 1)
  t.equal(events('login_failure', 'wrong_password'), 1)
  t.equal(events('login_failure', 'unknown_account'), 1)
  t.equal(events('refresh'), 1)
  t.equal(events('refresh_reuse_detected'), 1, 'its reason, free text, is no label')
  t.notOk(samples.some(sample => sample.name === 'auth_events_total' && sample.labels.reason?.startsWith('spent')))

  const requests = (method: string, route: string, status: number) =>
    value(samples, 'http_request_duration_seconds_count', { method, route, status_code: String(status) })
  t.equal(requests('POST', '/auth/register', 201), 2)
  t.equal(requests('POST', '/auth/login', 200), 1)
  t.equal(requests('POST', '/auth/login', 401), 2)
  t.equal(requests('POST', '/auth/refresh', 401), 1)
  t.equal(requests('DELETE', '/auth/sessions/:id', 200), 1, 'the route pattern, never the id')
  t.equal(requests('GET', 'unmatched', 404), 1, 'unmatched URLs share one series')
  t.notOk(samples.some(sample => sample.labels.route?.includes('12345') ||
    sample.labels.route?.includes(sessionId(second.accessToken))))
  const bucket = value(samples, 'http_request_duration_seconds_bucket',
    { method: 'POST', route: '/auth/login', status_code: '401', le: '+Inf' })
  t.equal(bucket, 2)

  // The session cache: the guard's checks of two /auth/me calls (on SQLite the second is answered from memory).
  const lookups = (list: Sample[], result: string) => value(list, 'session_cache_lookups_total', { result }) ?? 0
  // The reuse ended the first session: a new one.
  const { accessToken } = await login(app, user.email)
  const cacheBefore = await scrape(metricsUrl)
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200)
  const cacheAfter = await scrape(metricsUrl)
  const hits = lookups(cacheAfter, 'hit') - lookups(cacheBefore, 'hit')
  const misses = lookups(cacheAfter, 'miss') - lookups(cacheBefore, 'miss')
  t.equal(hits + misses, 2, 'one lookup per check')
  if (!ON_POSTGRES) t.ok(hits >= 1, `the second is a hit (${hits} hits, ${misses} misses)`)
})

t.test('logins shed by a full hash queue are counted, and are no auth events', async t => {
  // One thread at a high cost and room for two waiting jobs: a burst of ten saturates it (as in overload.test.ts).
  const app = await build(t, { ...METRICS, HASH_WORKERS: '1', HASH_QUEUE_MAX: '2', BCRYPT_COST: '12' })
  const { user } = await register(app)
  const base = await listen(app)
  const address = await (app.metrics as NonNullable<App['metrics']>).listening
  const metricsUrl = `http://127.0.0.1:${address.port}`
  const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: 'not the password at all' })
  })).status))
  const shed = statuses.filter(status => status === 503).length
  t.ok(shed > 0, `some were shed (${statuses.join(' ')})`)

  const samples = await scrape(metricsUrl)
  t.equal(value(samples, 'hash_pool_shed_total'), shed)
  t.equal(value(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status_code: '503' }), shed)
  t.equal(value(samples, 'auth_events_total', { type: 'login_failure', reason: 'wrong_password' }), 10 - shed)
  t.equal(value(samples, 'hash_pool_queue_depth'), 0, 'idle again')
  t.equal(value(samples, 'hash_pool_utilization'), 0)
})

t.test('a failing outbox query leaves its gauges out; the scrape still answers', async t => {
  const app = await build(t, METRICS)
  const metricsUrl = await start(app)
  await post(app, '/auth/register', newUser())
  app.mail.backlog = async () => { throw new Error('the database is down') }

  const samples = await scrape(metricsUrl)
  t.equal(value(samples, 'mail_outbox_pending'), undefined)
  t.equal(value(samples, 'mail_outbox_oldest_pending_seconds'), undefined)
  t.equal(value(samples, 'metrics_collect_errors_total', { source: 'mail_outbox' }), 1, 'one failure per scrape')
  t.equal(value(samples, 'auth_events_total', { type: 'register', reason: '' }), 1, 'the rest is reported')
})
