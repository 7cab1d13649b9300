import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { normalizePassword } from '../../src/passwords/normalize.js'
import { PASSWORD_FIELDS } from '../../schemas/common.js'

const FIELDS = new Set<string>(PASSWORD_FIELDS)

/** Normalizes the body's password fields before validation, so the schema's limits count what is hashed. */
function normalizePasswords (request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const body = request.body as Record<string, unknown> | null | undefined
  if (body !== null && typeof body === 'object') {
    for (const field of PASSWORD_FIELDS) {
      const value = body[field]
      if (typeof value === 'string') body[field] = normalizePassword(value)
    }
  }
  done()
}

/** The top-level fields a body schema names, in any of its alternatives or the shared schema it refers to. */
function bodyFields (schema: unknown, instance: FastifyInstance, depth = 0): string[] {
  if (schema === null || typeof schema !== 'object' || depth > 8) return []
  const { properties, anyOf, oneOf, allOf, $ref } = schema as Record<string, unknown>
  const referred = typeof $ref === 'string' ? instance.getSchema($ref.replace(/#$/, '')) : undefined
  return [
    ...Object.keys(properties ?? {}),
    ...bodyFields(referred, instance, depth + 1),
    ...[anyOf, oneOf, allOf].flatMap(branches =>
      Array.isArray(branches) ? branches.flatMap(branch => bodyFields(branch, instance, depth + 1)) : [])
  ]
}

/** Password normalization on the routes whose body has a password field; the others run no hook for it. */
export default fp(async function passwordFields (fastify) {
  fastify.addHook('onRoute', function passwordRoute (route) {
    if (bodyFields(route.schema?.body, this).some(field => FIELDS.has(field))) {
      route.preValidation = [normalizePasswords, ...[route.preValidation ?? []].flat()]
    }
  })
}, { name: 'password-fields' })
