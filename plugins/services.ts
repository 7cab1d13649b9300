import fp from 'fastify-plugin'
import { Accounts } from '../src/accounts.js'
import { Admin } from '../src/admin.js'
import { storedSecret } from '../src/db/settings.js'
import { AuthEvents } from '../src/events.js'
import { Passwords } from '../src/passwords.js'
import { Sessions } from '../src/sessions.js'
import { type LoginThrottle, MemoryLoginThrottle, MemorySignupCapacity, RedisLoginThrottle, RedisSignupCapacity, type SignupCapacity } from '../src/throttle.js'
import { Users } from '../src/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: Passwords
    users: Users
    sessions: Sessions
    accounts: Accounts
    admin: Admin
    events: AuthEvents
    loginThrottle: LoginThrottle
    /** Absent when RATE_LIMIT_ENABLED is false. */
    signupCapacity?: SignupCapacity
  }
}

/** The domain services, built once over the database and the token signer. */
export default fp(async function services (fastify) {
  const { config, store } = fastify
  const passwords = new Passwords({ cost: config.bcryptCost, workers: config.hashWorkers, queueMax: config.hashQueueMax })
  fastify.addHook('onClose', () => passwords.close())
  const users = new Users(store)
  const sessions = new Sessions(store, config, await storedSecret(store, 'refresh_secret'))
  fastify.decorate('passwords', passwords)
  fastify.decorate('users', users)
  fastify.decorate('sessions', sessions)
  const events = new AuthEvents(store)
  fastify.decorate('events', events)
  fastify.decorate('admin', new Admin(store, sessions, events))
  // With REDIS_URL the counts are shared by every instance; otherwise each process keeps its own.
  const { redis } = fastify
  const policy = { maxFailures: config.loginMaxFailures, failureWindow: config.loginFailureWindow }
  const throttle = redis === undefined ? new MemoryLoginThrottle(policy) : new RedisLoginThrottle(redis, policy, config.redisPrefix, await storedSecret(store, 'throttle_key'))
  fastify.decorate<LoginThrottle>('loginThrottle', throttle)
  const capacity = config.rateLimit.signupCapacity
  const signupCapacity = !config.rateLimit.enabled
    ? undefined
    : redis === undefined ? new MemorySignupCapacity(capacity) : new RedisSignupCapacity(redis, capacity, config.redisPrefix)
  fastify.decorate<SignupCapacity | undefined>('signupCapacity', signupCapacity)
  fastify.decorate('accounts', new Accounts({
    store,
    users,
    sessions,
    passwords,
    signAccessToken: claims => fastify.accessTokens.sign(claims),
    accessTokenTtl: config.accessTokenTtl,
    signupRoles: config.signupRoles,
    throttle,
    signupCapacity,
    events
  }))
}, { name: 'services', dependencies: ['config', 'db', 'jwt', 'redis'] })
