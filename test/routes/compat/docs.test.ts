import t from 'tap'
import { build, post } from '../../helper.js'

type Operation = {
  summary?: string
  tags?: string[]
  requestBody?: { content: Record<string, { example?: unknown }> }
  responses: Record<string, { description: string, content?: Record<string, { schema: unknown }> }>
}

/** Each profile's routes, and its register and login paths, whose examples must work in that order. */
const PROFILES: Record<string, { paths: Record<string, string>, register: string, login: string }> = {
  simplejwt: {
    paths: {
      '/api/auth/register/': 'post',
      '/api/auth/login/': 'post',
      '/api/auth/token/verify/': 'post',
      '/api/auth/token/refresh/': 'post',
      '/api/auth/logout/': 'post'
    },
    register: '/api/auth/register/',
    login: '/api/auth/login/'
  },
  flask: {
    paths: { '/api/register': 'post', '/api/login': 'post', '/api/user-info': 'get' },
    register: '/api/register',
    login: '/api/login'
  },
  insighted: {
    paths: {
      '/api/auth/register/': 'post', '/api/auth/login/': 'post', '/api/auth/token/refresh/': 'post', '/api/auth/logout/': 'post'
    },
    register: '/api/auth/register/',
    login: '/api/auth/login/'
  },
  spring: {
    paths: { '/auth/register': 'post', '/auth/login': 'post', '/auth/logout': 'post', '/auth/password': 'patch' },
    register: '/auth/register',
    login: '/auth/login'
  },
  nestjs: {
    paths: { '/auth/signup': 'post', '/auth/signin': 'post', '/auth/refresh': 'post', '/auth/logout': 'post', '/auth/profile': 'get' },
    register: '/auth/signup',
    login: '/auth/signin'
  }
}

for (const [profile, { paths, register, login }] of Object.entries(PROFILES)) {
  t.test(`${profile}: its routes in /docs under a tag of their own, with their real schemas and working examples`, async t => {
    const app = await build(t, { COMPAT_PROFILE: profile })
    const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, Record<string, Operation>>, tags: Array<{ name: string }> }
    const tag = `compat: ${profile}`
    t.equal(doc.tags[0]?.name, tag, 'the profile\'s tag comes first')
    const tagged = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).filter(([, operation]) => operation.tags?.includes(tag)).map(([method]) => `${method} ${path}`))
    t.strictSame(tagged.sort(), Object.entries(paths).map(([path, method]) => `${method} ${path}`).sort())
    for (const [path, method] of Object.entries(paths)) {
      const operation = doc.paths[path]?.[method] as Operation
      t.ok(operation.summary, `${method} ${path} has a summary`)
      const statuses = Object.keys(operation.responses)
      t.ok(statuses.some(status => status.startsWith('2')), `${method} ${path} documents its success`)
      t.ok(statuses.includes('401') || statuses.includes('400'), `${method} ${path} documents its errors`)
      for (const status of statuses) {
        t.ok(operation.responses[status]?.content?.['application/json']?.schema ?? status === '205', `${method} ${path} ${status} has a schema`)
        t.not(JSON.stringify(operation.responses[status]).includes('ErrorResponse'), true,
          `${method} ${path} ${status} is in the profile's shape, not the service's`)
      }
      const reasons = statuses.map(status => operation.responses[status]?.description)
      t.equal(new Set(reasons).size, reasons.length, `${method} ${path}: each status says what it means`)
    }
    const example = (path: string) => doc.paths[path]?.post?.requestBody?.content['application/json']?.example
    const registered = await post(app, register, example(register))
    t.equal(registered.statusCode, 201, registered.body)
    const signedIn = await post(app, login, example(login))
    t.equal(signedIn.statusCode, 200, 'the login example signs in the account of the register example')
  })
}
