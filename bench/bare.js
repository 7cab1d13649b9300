// The floor: a bare Fastify route answering a user-sized JSON object through a response schema,
// with nothing else (no logging, no plugins). `npm run bench` compares the service against it.
import Fastify from 'fastify'

const user = {
  id: '0b9c5f38-8a4e-4d5e-9c1a-7f1e2d3c4b5a',
  email: 'grace@example.com',
  username: 'grace',
  name: 'Grace Hopper',
  role: 'user',
  metadata: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z'
}
const nullableString = { anyOf: [{ type: 'string' }, { type: 'null' }] }
const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    username: nullableString,
    name: nullableString,
    role: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' }
  }
}

// The same floor for a POST: a token-verification-sized JSON body, validated, and a claims-sized
// reply. POST /auth/token/verify is also compared with it, as a POST costs more than a GET
// before any route runs (the body is read, parsed and validated).
const claims = { sub: user.id, role: 'user', sid: '7c98aa47-3714-4ec2-a931-874d5bc1b9fe', jti: '500f5bc2-2cea-47dc-8643-12532626c89d', iat: 1767225600, exp: 1767226500 }
const body = { type: 'object', properties: { token: { type: 'string', minLength: 1, maxLength: 4096 } }, required: ['token'], additionalProperties: false }
const reply = {
  type: 'object',
  properties: {
    valid: { type: 'boolean' },
    payload: { type: 'object', properties: { sub: { type: 'string' }, role: { type: 'string' }, sid: { type: 'string' }, jti: { type: 'string' }, iat: { type: 'integer' }, exp: { type: 'integer' } } }
  }
}

const app = Fastify()
app.get('/', { schema: { response: { 200: schema } } }, async () => user)
app.post('/', { schema: { body, response: { 200: reply } } }, async () => ({ valid: true, payload: claims }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
