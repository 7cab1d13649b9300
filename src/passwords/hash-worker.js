// @ts-check
// The hashing worker, run in the hash pool's threads. Plain JavaScript, so that a thread starts on
// bare Node, with no TypeScript loader, both from the sources and from dist/.
import bcrypt from 'bcryptjs'

/**
 * @param {{ op: 'hash', password: string, cost: number } | { op: 'compare', password: string, hash: string }} task
 * @returns {Promise<string | boolean>}
 */
export default function run (task) {
  return task.op === 'hash' ? bcrypt.hash(task.password, task.cost) : bcrypt.compare(task.password, task.hash)
}
