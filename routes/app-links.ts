import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from '../schemas/common.js'

/** Seconds the platforms may cache the files: they fetch them at install and now and then after. */
const MAX_AGE = 3600

const Fingerprint = Type.String({ maxLength: 95, pattern: '^([0-9A-F]{2}:){31}[0-9A-F]{2}$' })

const AssetLinks = Type.Array(Type.Object({
  relation: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 }),
  target: Type.Object({
    namespace: Type.Literal('android_app'),
    package_name: Type.String({ maxLength: 256 }),
    sha256_cert_fingerprints: Type.Array(Fingerprint, { maxItems: 32 })
  })
}), { maxItems: 64, description: 'Digital Asset Links: the Android apps that share this site\'s passkeys.' })

const AppSiteAssociation = Type.Object({
  webcredentials: Type.Object({ apps: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 64 }) })
}, { description: 'The iOS apps (`TEAMID.bundle.id`) that share this site\'s passkeys and saved passwords.' })

const NOT_CONFIGURED = (variable: string) => errors({ 404: `${variable} is not set: no app is associated.` })

/**
 * The files by which Android and iOS let a native app use the website's passkeys (and saved passwords):
 * served only for the apps that ANDROID_APP_LINKS and APPLE_APP_IDS name, and absent (404) otherwise.
 */
const appLinks: FastifyPluginAsyncTypebox = async function appLinks (fastify) {
  const { androidAppLinks, appleAppIds } = fastify.config.passkeys
  // Fetched by the platforms' verifiers, a few at a time, and cached: cheaper to serve than to count.
  const config = { rateLimit: false, routine: true }

  if (androidAppLinks.length > 0) {
    const body = androidAppLinks.map(app => ({
      // Sign-in credentials only: not `handle_all_urls`, which would let the app open every link of the site
      // (the mail's reset and verification links among them).
      relation: ['delegate_permission/common.get_login_creds'],
      target: { namespace: 'android_app' as const, package_name: app.packageName, sha256_cert_fingerprints: app.fingerprints }
    }))
    fastify.get('/.well-known/assetlinks.json', {
      config,
      schema: {
        operationId: 'getAssetLinks',
        summary: 'Android app links',
        description: 'The apps of `ANDROID_APP_LINKS`, so that they may use this site\'s passkeys.',
        tags: ['passkeys'],
        response: { 200: AssetLinks, ...NOT_CONFIGURED('ANDROID_APP_LINKS') }
      }
    }, async function assetLinks (_request, reply) {
      reply.header('cache-control', `public, max-age=${MAX_AGE}`)
      return body
    })
  }

  if (appleAppIds.length > 0) {
    const body = { webcredentials: { apps: [...appleAppIds] } }
    fastify.get('/.well-known/apple-app-site-association', {
      config,
      schema: {
        operationId: 'getAppleAppSiteAssociation',
        summary: 'iOS app association',
        description: 'The apps of `APPLE_APP_IDS`, so that they may use this site\'s passkeys. Served as JSON ' +
          'without a file extension, as Apple fetches it.',
        tags: ['passkeys'],
        response: { 200: AppSiteAssociation, ...NOT_CONFIGURED('APPLE_APP_IDS') }
      }
    }, async function appleAppSiteAssociation (_request, reply) {
      reply.header('cache-control', `public, max-age=${MAX_AGE}`)
      return body
    })
  }
}

export default appLinks
