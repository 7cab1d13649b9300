import { connect } from 'node:net'
import t from 'tap'
import { BODY_LIMIT } from '../../src/app.js'
import { build, listen, newUser, post } from '../helper.js'
import { query } from '../helpers/database.js'

/** Sends raw bytes to the server and resolves with everything it answers before closing. */
function raw (url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request))
    let answer = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')))
    socket.on('data', chunk => { answer += String(chunk) })
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

t.test('unknown routes get a 404 in the common shape', async t => {
  const app = await build(t)
  const response = await app.inject('/no/such/route?token=x')
  t.equal(response.statusCode, 404)
  t.strictSame(response.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'Route GET /no/such/route not found' })
})

t.test('a body that is not JSON is a 415', async t => {
  const app = await build(t)
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
    'application/jsonx', 'application/json-patch+json', 'text/json']) {
    const response = await app.inject({ method: 'POST', url: '/auth/login', payload: 'email=a', headers: { 'content-type': contentType } })
    t.equal(response.statusCode, 415, contentType)
    t.match(response.json(), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', error: 'Unsupported Media Type', message: String }, contentType)
  }
})

t.test('JSON content types with odd case or parameters are still parsed and validated', async t => {
  const app = await build(t)
  // Variants of the 2025–2026 Fastify advisories: none of them may skip validation.
  for (const contentType of ['Application/JSON', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json ;charset=UTF-8',
    'application/json\t', '\tapplication/json', ' application/json', 'application/json\t;charset=utf-8', 'application/json;\tcharset=utf-8']) {
    const response = await app.inject({ method: 'POST', url: '/auth/login', payload: JSON.stringify({ email: 'a@example.com', password: 1 }), headers: { 'content-type': contentType } })
    t.equal(response.statusCode, 400, contentType)
    t.equal(response.json().code, 'VALIDATION_ERROR', contentType)
  }
})

t.test('malformed or empty JSON is a 400 without a stack', async t => {
  const app = await build(t)
  for (const payload of ['{"email": "a@example.com",', '{"a": 1}}', '']) {
    const response = await app.inject({ method: 'POST', url: '/auth/login', payload, headers: { 'content-type': 'application/json' } })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(response.json(), { statusCode: 400, code: 'INVALID_JSON', error: 'Bad Request', message: String })
    t.notMatch(response.body, /at .*\.js|node_modules/)
  }
})

t.test('a body over the limit is a 413', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register', newUser({ name: 'x'.repeat(BODY_LIMIT) }))
  t.equal(response.statusCode, 413)
  t.match(response.json(), { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', error: 'Payload Too Large' })
})

t.test('deeply nested JSON is refused and the service keeps answering', async t => {
  const app = await build(t)
  const nested = (depth: number) => '{"metadata":' + '['.repeat(depth) + ']'.repeat(depth) + '}'
  const within = await app.inject({ method: 'POST', url: '/auth/register', payload: nested(5000), headers: { 'content-type': 'application/json' } })
  t.equal(within.statusCode, 400, 'nested within the body limit: a validation error')
  const huge = await app.inject({ method: 'POST', url: '/auth/register', payload: nested(100_000), headers: { 'content-type': 'application/json' } })
  t.equal(huge.statusCode, 413, '100,000 deep: over the body limit before any parsing')
  t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('an unexpected failure is a generic 500: the detail stays in the log', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } },
    setup: app => app.get('/boom', async () => { throw new Error('secret internal detail') })
  })
  const response = await app.inject('/boom')
  t.equal(response.statusCode, 500)
  t.strictSame(response.json(), { statusCode: 500, code: 'INTERNAL_SERVER_ERROR', error: 'Internal Server Error', message: 'Internal Server Error' })
  t.match(lines.join(''), /secret internal detail/, 'the log has the detail')
})

t.test('a failing query is logged without its bound values', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  // A broken table makes the insert of a registration fail after the password is hashed.
  await query(app)`DROP TABLE refresh_tokens`
  const password = 'a very recognisable password'
  const response = await post(app, '/auth/register', newUser({ password }))
  t.equal(response.statusCode, 500)
  const log = lines.join('')
  t.match(log, /no such table: refresh_tokens|relation \\"refresh_tokens\\" does not exist/)
  t.notMatch(log, /\$2[aby]\$10\$/, 'no password hash in the log')
  t.notMatch(log, /recognisable/)
})

t.test('a URL the router cannot decode is a 400 in the common shape, with a request id', async t => {
  const app = await build(t)
  for (const url of ['/auth/%zz', '/%']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 400, url)
    t.match(response.json(), { statusCode: 400, code: 'BAD_REQUEST', error: 'Bad Request', message: String }, url)
    t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/, url)
  }
})

t.test('URLs the router cannot decode count against the client\'s global limit, and are logged', async t => {
  const lines: string[] = []
  const app = await build(t, { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_GLOBAL: '3/1m' }, {
    overrides: { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const statuses = []
  for (let i = 0; i < 5; i++) {
    const response = await app.inject(`/auth/%zz${i}`)
    statuses.push(response.statusCode)
    t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/, `answer ${i} carries a request id`)
    if (response.statusCode === 429) t.match(response.json(), { code: 'RATE_LIMITED' })
    const logged = lines.map(line => JSON.parse(line)).filter(line => line.reqId === response.headers['x-request-id'])
    t.ok(logged.length > 0, `request ${i} is logged`)
  }
  t.strictSame(statuses, [400, 400, 400, 429, 429])
  t.equal((await app.inject('/auth/me')).statusCode, 429, 'the same bucket as every other route')
})

t.test('requests that are not valid HTTP get the common shape too, with a request id, and are logged', async t => {
  const lines: string[] = []
  const app = await build(t, {}, {
    overrides: { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } }
  })
  const url = await listen(app)
  const cases: Array<[string, string, number]> = [
    ['a bad header line', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
    ['an unknown method', 'FOO /health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['oversized headers', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431]
  ]
  for (const [name, request, status] of cases) {
    const answer = await raw(url, request)
    t.match(answer, new RegExp(`^HTTP/1.1 ${status} `), name)
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
    t.match(body, { statusCode: status, code: String, error: String, message: String }, name)
    const requestId = /\r\nX-Request-Id: ([0-9a-f-]{36})\r\n/i.exec(answer)?.[1]
    t.ok(requestId, `${name}: the answer carries a request id`)
    t.ok(lines.some(line => JSON.parse(line).reqId === requestId), `${name}: logged under it`)
  }
  t.equal((await fetch(url + '/health')).status, 200, 'the server keeps answering')
})
