// @ts-check
// The hashing worker, run in the hash pool's threads. Plain JavaScript, so that a thread starts on bare Node,
// with no TypeScript loader, both from the sources and from dist/.
import bcrypt from 'bcryptjs'
import { verifyHash } from './hash-formats.js'

/**
 * A comparison also tells how long it took, by which the pool makes a failed check of an imported hash last
 * as long as one of the service's own (see Passwords.verify).
 * @param {{ op: 'hash', password: string, cost: number } | { op: 'compare', password: string, hash: string }} task
 * @returns {Promise<string | { match: boolean, ms: number }>}
 */
export default async function run (task) {
  if (task.op === 'hash') return bcrypt.hash(task.password, task.cost)
  const started = performance.now()
  const match = await verifyHash(task.password, task.hash)
  return { match, ms: performance.now() - started }
}
