import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { build, listen } from '../helper.js'
import { TEST_REDIS_URL, redisEnv } from '../helpers/redis.js'

/** An app with GET /slow, which answers when the test says: a request in flight for as long as needed. */
async function appWithSlowRoute (t: Parameters<typeof build>[0]) {
  let entered!: () => void
  const inFlight = new Promise<void>(resolve => { entered = resolve })
  let release!: () => void
  const released = new Promise<void>(resolve => { release = resolve })
  const app = await build(t, {}, {
    setup: app => app.get('/slow', async () => {
      entered()
      await released
      return { done: true }
    })
  })
  return { app, url: await listen(app), inFlight, release }
}

/** Waits, a turn of the event loop at a time, until the app has begun closing; bounded. */
async function draining (app: { draining: boolean }) {
  for (let turn = 0; turn < 1000 && !app.draining; turn++) await new Promise(resolve => setImmediate(resolve))
  if (!app.draining) throw new Error('the app did not begin closing')
}

t.test('while the app closes, a request in flight is answered with Connection: close, a new one gets 503, ' +
  'and the close ends without waiting for the kept-alive connection', async t => {
  const { app, url, inFlight, release } = await appWithSlowRoute(t)
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const slow = new Promise<{ status?: number, connection?: string, body: string }>((resolve, reject) => {
    request(`${url}/slow`, { agent }, res => {
      let body = ''
      res.on('data', chunk => { body += String(chunk) })
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }))
    }).on('error', reject).end()
  })
  await inFlight
  // A second connection that has sent half a request: not idle, so the close leaves it open to finish it.
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  await once(socket, 'connect')
  socket.write('GET /health/ready HTTP/1.1\r\nHost: localhost\r\n')
  let raw = ''
  socket.on('data', chunk => { raw += String(chunk) })
  const rawEnded = once(socket, 'end')

  const closed = app.close()
  await draining(app)
  await t.rejects(app.checkReadiness(), { code: 'NOT_READY', message: 'Not ready: the instance is shutting down' })
  socket.write('\r\n')
  await rawEnded
  t.match(raw, /^HTTP\/1\.1 503 Service Unavailable\r\n/)
  t.match(raw, /\r\nconnection: close\r\n/i)
  t.match(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)), {
    statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: /shutting down/
  })

  release()
  t.strictSame(await slow, { status: 200, connection: 'close', body: '{"done":true}' })
  // The agent would keep the connection for more: the server closed it, so the close could end.
  await closed
})

t.test('the app closes its parts in order: the email flows and the mail sender before the database, ' +
  'the hashing threads too, and Redis last', { skip: TEST_REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, async t => {
  const app = await build(t, redisEnv(t))
  const order: string[] = []
  const spy = (target: object, method: string, name: string) => {
    const methods = target as Record<string, (...args: unknown[]) => unknown>
    const original = methods[method]?.bind(target)
    if (original === undefined) throw new Error(`no ${method} on ${name}`)
    methods[method] = (...args) => { order.push(name); return original(...args) }
  }
  spy(app.emailFlows, 'settled', 'email flows')
  spy(app.mail, 'stop', 'mail sender')
  spy(app.passwords, 'close', 'hashing threads')
  spy(app.store, 'close', 'database')
  spy(app.redis ?? {}, 'quit', 'redis')
  await app.close()
  // preClose, then onClose in the reverse order of registration.
  t.strictSame(order, ['email flows', 'email flows', 'mail sender', 'hashing threads', 'database', 'redis'])
})
