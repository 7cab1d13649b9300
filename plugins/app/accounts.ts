import fp from 'fastify-plugin'
import { Accounts } from '../../src/accounts/accounts.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: Accounts
  }
}

/** Signup, login, and accounts made by operators. */
export default fp(async function accounts (fastify) {
  const { config, store, users, sessions, passwords, accessTokens, events, loginThrottle, signupCapacity } = fastify
  fastify.decorate('accounts', new Accounts({
    store,
    users,
    sessions,
    passwords,
    blocklist: fastify.passwordBlocklist,
    accessTokens,
    events,
    throttle: loginThrottle,
    signupCapacity,
    signupRoles: config.signupRoles,
    emailFlows: fastify.emailFlows,
    requireVerifiedEmail: config.email.verification === 'required',
    mfa: fastify.mfa
  }))
}, {
  name: 'accounts',
  dependencies: [
    'config', 'db', 'users', 'sessions', 'passwords', 'password-blocklist', 'access-tokens', 'audit', 'login-throttle',
    'signup-capacity', 'email-flows', 'mfa'
  ]
})
