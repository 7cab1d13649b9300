import fp from 'fastify-plugin'
import { Profile } from '../../src/accounts/profile.js'

declare module 'fastify' {
  interface FastifyInstance {
    profile: Profile
  }
}

/** Changes users make to their own account. */
export default fp(async function profile (fastify) {
  const { store, users, sessions, passwords, passwordBlocklist, events, loginThrottle, mail } = fastify
  fastify.decorate('profile', new Profile({
    store, users, sessions, passwords, blocklist: passwordBlocklist, events, throttle: loginThrottle, mail
  }))
}, {
  name: 'profile',
  dependencies: ['db', 'users', 'sessions', 'passwords', 'password-blocklist', 'audit', 'login-throttle', 'mail']
})
