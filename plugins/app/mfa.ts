import fp from 'fastify-plugin'
import { storedSecret } from '../../src/db/settings.js'
import { Mfa } from '../../src/mfa/mfa.js'
import { SecretBox } from '../../src/mfa/secret-box.js'

declare module 'fastify' {
  interface FastifyInstance {
    mfa: Mfa
  }
}

/** The second factor; its secrets sealed under ENCRYPTION_KEY, or a key generated and kept in the database. */
export default fp(async function mfa (fastify) {
  const { config, store, sessions, events, loginThrottle, mail, profile } = fastify
  const key = config.mfa.encryptionKey ?? Buffer.from(await storedSecret(store, 'encryption_key'), 'base64url')
  fastify.decorate('mfa', new Mfa({
    store,
    sessions,
    events,
    throttle: loginThrottle,
    mail,
    box: new SecretBox(key),
    issuer: config.mfa.issuer,
    checkPassword: (user, password, actor, client) => profile.checkPassword(user, password, actor, client)
  }))
}, { name: 'mfa', dependencies: ['config', 'db', 'sessions', 'audit', 'login-throttle', 'mail', 'profile'] })
