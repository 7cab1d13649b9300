/** The test Redis: key prefixes per app, deleted when the test ends. */
import { Redis } from 'ioredis'
import type { Teardown } from './types.js'

/** The test Redis, set by CI (`.ci/run`); the Redis suites are skipped without it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL

let redisApps = 0
/**
 * Environment for an app whose limits live in the test Redis, under a key prefix of its own
 * (apps of one test may share it), deleted when the test ends.
 */
export function redisEnv (t: Teardown, prefix = `test:${process.pid}:${++redisApps}:`): Record<string, string> {
  if (TEST_REDIS_URL === undefined) throw new Error('TEST_REDIS_URL is not set')
  t.teardown(async () => {
    const client = new Redis(TEST_REDIS_URL)
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(...keys)
    await client.quit()
  })
  return { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }
}

/** Where the limits' counts live, for suites that run against each: in memory, and in Redis when CI provides one. */
export const STORES: Array<{ name: string, skip: string | false, env: (t: Teardown) => Record<string, string> }> = [
  { name: 'memory', skip: false, env: () => ({}) },
  { name: 'Redis', skip: TEST_REDIS_URL === undefined ? 'TEST_REDIS_URL is not set: the Redis suites need a Redis server (CI sets it to 127.0.0.1:6379)' : false, env: t => redisEnv(t) }
]
