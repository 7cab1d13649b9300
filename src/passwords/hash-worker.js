// @ts-check
// The hashing worker: runs in the threads of the hash pool (src/passwords.ts), never on the
// event loop, one task at a time. It is plain JavaScript so that a thread starts on bare Node,
// with no TypeScript loader, both from the sources (tests, `npm run dev`) and from dist/.
import bcrypt from 'bcryptjs'

/**
 * @param {{ op: 'hash', password: string, cost: number } | { op: 'compare', password: string, hash: string }} task
 * @returns {Promise<string | boolean>}
 */
export default function run (task) {
  return task.op === 'hash' ? bcrypt.hash(task.password, task.cost) : bcrypt.compare(task.password, task.hash)
}
