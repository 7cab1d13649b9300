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

const app = Fastify()
app.get('/', { schema: { response: { 200: schema } } }, async () => user)
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
