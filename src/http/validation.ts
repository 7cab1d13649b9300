/**
 * Request validation: how schemas are compiled and how their failures read. Bodies are strict (JSON
 * carries types; unknown properties are refused); query strings and path parameters are text, so coerced.
 */
import { Buffer } from 'node:buffer'
import AjvCompiler from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifySchemaValidationError, FastifyServerOptions } from 'fastify'
import type { ErrorDetail } from '../errors.js'
import { normalizePassword } from '../passwords/normalize.js'

type Ajv = AjvCompiler.Ajv

/** A lone (unpaired) surrogate: in Unicode mode, a pair is one code point and never matches. */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * `x-well-formed`: no unpaired surrogate (schemas/common.ts says why it is not a pattern).
 * `x-max-utf8-bytes`: the longest a string may be in UTF-8 after NFC normalization (bcrypt reads only
 * 72 bytes of a password). `x-error`: the message shown when the value does not match its `pattern`.
 */
function addKeywords (ajv: Ajv): void {
  // Before `x-max-utf8-bytes`: a lone surrogate is reported as such, as when it was part of the pattern.
  ajv.addKeyword({
    keyword: 'x-well-formed',
    type: 'string',
    schemaType: 'boolean',
    validate: (wellFormed: boolean, data: string) => !wellFormed || !LONE_SURROGATE.test(data)
  })
  ajv.addKeyword({
    keyword: 'x-max-utf8-bytes',
    type: 'string',
    schemaType: 'number',
    validate: (max: number, data: string) => Buffer.byteLength(normalizePassword(data)) <= max
  })
  ajv.addKeyword({ keyword: 'x-error', schemaType: 'string' })
}

const common = {
  // Fastify's maintainers keep allErrors off: reporting every error of a hostile body is a DoS vector.
  allErrors: false,
  // Lets the error formatter read a schema's own message (`x-error`) and limits.
  verbose: true,
  useDefaults: true,
  removeAdditional: false,
  // Off for start-up time: the schemas are the service's own, and a test builds the app with the check on.
  validateSchema: false
}

type RouteContext = { schema: unknown, method: string, url: string, httpPart: string }

/** Compiles each distinct schema once; `key` names a schema's content, which alone decides the result. */
function once<Route, Compiled> (
  compile: (route: Route) => Compiled, key: (route: Route) => string
): (route: Route) => Compiled {
  const compiled = new Map<string, Compiled>()
  return route => {
    const name = key(route)
    let result = compiled.get(name)
    if (result === undefined) compiled.set(name, result = compile(route))
    return result
  }
}

/** A schema's content as text; a value JSON would drop or change stops the start rather than hide a difference. */
function schemaText (schema: unknown): string {
  return JSON.stringify(schema, (key: string, value: unknown) => {
    if (typeof value === 'function' || typeof value === 'bigint' || value instanceof RegExp) {
      throw new Error(`schema: "${key}" has no JSON form`)
    }
    return value
  })
}

type Serializers = ReturnType<ReturnType<typeof SerializerSelector>>

/** Response serializers, one per distinct schema: a description changes the docs only, not what is written. */
function sharedSerializers (
  externalSchemas: unknown, options: Parameters<ReturnType<typeof SerializerSelector>>[1]
): Serializers {
  const compile = SerializerSelector()(externalSchemas, options)
  return once(compile, route => {
    const { description: _documentation, ...content } = route.schema as Record<string, unknown>
    return schemaText(content)
  })
}

/** Fastify's `schemaController`: a strict compiler for bodies, a coercing one for the rest. */
export function createSchemaController (validateSchema = false): NonNullable<FastifyServerOptions['schemaController']> {
  return {
    compilersFactory: {
      // Fastify types the factory's options loosely (`unknown`); fast-json-stringify's are what it passes.
      buildSerializer: sharedSerializers as never,
      buildValidator (externalSchemas: Record<string, unknown>) {
        const factory = AjvCompiler()
        const options = (coerceTypes: boolean | 'array') => ({
          customOptions: { ...common, validateSchema, coerceTypes }, onCreate: addKeywords
        })
        const strict = once(
          factory(externalSchemas as never, options(false)) as unknown as (route: RouteContext) => unknown,
          route => schemaText(route.schema)
        )
        const lenient = once(
          factory(externalSchemas as never, options('array')) as unknown as (route: RouteContext) => unknown,
          route => schemaText(route.schema)
        )
        return ((route: RouteContext) => route.httpPart === 'body' ? strict(route) : lenient(route)) as never
      }
    }
  }
}

/** A validator for input that does not come over HTTP (the CLI), with exactly the rules of request bodies. */
export function compileValidator (schema: object): (data: unknown) => ErrorDetail[] {
  const compile = AjvCompiler()(
    {}, { customOptions: { ...common, coerceTypes: false }, onCreate: addKeywords }
  ) as unknown as
    (route: RouteContext) => ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null }
  const validate = compile({ schema, method: 'CLI', url: '', httpPart: 'body' })
  return data => validate(data) ? [] : validationDetails(validate.errors ?? [])
}

interface VerboseError extends FastifySchemaValidationError {
  schemaPath: string
  schema?: unknown
  parentSchema?: Record<string, unknown>
}

/** Turns Ajv's errors into `{ path, message }` entries a client can show next to a form field. */
export function validationDetails (errors: FastifySchemaValidationError[]): ErrorDetail[] {
  const details: ErrorDetail[] = []
  for (const error of errors as VerboseError[]) {
    // Failures inside a oneOf or anyOf branch are summarized by that keyword's own error.
    if (/\/(oneOf|anyOf)\//.test(error.schemaPath)) continue
    const params = error.params as Record<string, unknown>
    let path = error.instancePath
    let message = error.message ?? 'is invalid'
    switch (error.keyword) {
      case 'required':
        path += `/${String(params.missingProperty)}`
        message = 'is required'
        break
      case 'additionalProperties':
        path += `/${String(params.additionalProperty)}`
        message = 'is not an allowed property'
        break
      case 'type':
        message = `must be ${/^[aeiou]/.test(String(params.type)) ? 'an' : 'a'} ${String(params.type)}`
        break
      case 'minLength':
      case 'maxLength':
        // A fixed-length code is wrong as a whole: its own message, as for a wrong character.
        if (error.parentSchema?.minLength === error.parentSchema?.maxLength &&
          typeof error.parentSchema?.['x-error'] === 'string') message = error.parentSchema['x-error']
        break
      case 'pattern':
      case 'x-well-formed':
      case 'anyOf':
        message = typeof error.parentSchema?.['x-error'] === 'string'
          ? error.parentSchema['x-error']
          : error.keyword === 'anyOf' ? 'is not of an allowed type' : 'has an invalid format'
        break
      case 'x-max-utf8-bytes':
        message = `must be at most ${String(error.schema)} bytes in UTF-8 (bcrypt's limit); it is never truncated`
        break
      case 'oneOf': {
        const names = Array.isArray(error.schema)
          ? error.schema.flatMap((branch: { required?: string[] }) => branch.required ?? [])
          : []
        message = `must include exactly one of ${names.join(', ')}`
        break
      }
    }
    details.push({ path: path === '' ? '/' : path, message })
  }
  return details
}
