import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { CompatProfile } from '../../src/config.js'

/** The tag of each compatibility profile's routes: what its old clients get, exactly. */
const COMPAT_TAGS: Record<CompatProfile, string> = {
  simplejwt: 'The Django REST framework + simplejwt API, as its clients call it (COMPAT_PROFILE=simplejwt)',
  flask: 'The Flask-JWT API, as its clients call it (COMPAT_PROFILE=flask)',
  insighted: 'The InsightED LMS API, as its clients call it (COMPAT_PROFILE=insighted)',
  spring: 'The Spring `WebResponse` API, as its clients call it (COMPAT_PROFILE=spring)',
  nestjs: 'The NestJS API, as its clients call it (COMPAT_PROFILE=nestjs)'
}

/** The OpenAPI document at /docs/json, built from the routes' own schemas, and Swagger UI at /docs. */
export default fp(async function docs (fastify) {
  const { authPrefix, compatProfile } = fastify.config
  const compatTags = compatProfile === undefined
    ? []
    : [{ name: `compat: ${compatProfile}`, description: COMPAT_TAGS[compatProfile] }]
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Auth service',
        version: '0.1.0',
        description: 'Registration and login with short-lived JWT access tokens and opaque refresh tokens.\n\n' +
          'To try it: **register** (or **login**), copy `accessToken` from the response, ' +
          `press **Authorize** and paste it, then call **GET ${authPrefix}/me**.`
      },
      tags: [
        ...compatTags,
        { name: 'auth', description: 'Registration, login and token verification' },
        { name: 'sessions', description: 'Refresh, logout, and your sessions on each device' },
        { name: 'account', description: 'Changes to your own account' },
        { name: 'email', description: 'Verifying your address, and a forgotten password' },
        { name: 'two-factor', description: 'A second factor: an authenticator app and recovery codes' },
        { name: 'admin', description: 'Managing users (admins only; admins are created with the CLI)' },
        { name: 'keys', description: 'Public keys for services that verify access tokens themselves' },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The `accessToken` from register or login.'
          }
        }
      }
    },
    // Shared schemas appear as components named by their $id (User, ErrorResponse, …).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })
  // A context of its own, so the UI's static files (which `uiHooks` would not reach) get the page headers too.
  await fastify.register(async function docsPages (pages) {
    pages.addHook('onRequest', fastify.pageHeaders)
    await pages.register(swaggerUi, {
      routePrefix: '/docs',
      // No validator badge: it would load an image from another site, which the CSP refuses. No token
      // kept in localStorage, where it would outlive the page.
      uiConfig: { persistAuthorization: false, displayRequestDuration: true, validatorUrl: null }
    })
  })
}, { name: 'swagger', dependencies: ['config', 'security'] })
