/** Requests to the services: loads, run by the load generator (bench/loader.js), and single ones. */
import { spawn } from 'node:child_process'
import { children, going } from './processes.js'
import { DURATION, ROOT } from './settings.js'

/** What bench/loader.js reports of a load. */
export interface LoadResult { ok: number, non2xx: number, errors: number, duration: number, p99: number }
/** autocannon's options that cross to the loader: plain data only. */
export interface LoadOptions {
  path: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  duration?: number
  connections?: number
  /** Each request's own body (see bench/loader.js): a template with `{n}`, or a list taken in turn. */
  each?: { template: string, modulo: number } | { list: string[], fallback: string }
  /** Loads naming the same pool report one p99, over all their answers so far. */
  pool?: string
}
type Reply = { result?: LoadResult, used: number, error?: string }
export type Loader = ReturnType<typeof startLoader>

/** The load generator, started once per run (see bench/loader.js). */
export function startLoader () {
  const child = spawn(process.execPath, ['bench/loader.js'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  children.add(child)
  const pending = new Map<number, (reply: Reply) => void>()
  child.on('message', (reply: Reply & { id: number }) => pending.get(reply.id)?.(reply))
  // A loader that dies fails the loads it was running, rather than leaving the run waiting forever.
  child.once('exit', code => {
    for (const fail of pending.values()) fail({ used: 0, error: `the loader exited (${code})` })
  })
  let ids = 0
  return {
    child,
    /**
     * Runs a load against `base`; `used` is how many bodies of `each` it took (autocannon prepares
     * a request per connection ahead, so up to `connections` of them may not have been sent).
     */
    async run (base: string, { path, each, pool, ...options }: LoadOptions): Promise<LoadResult & { used: number }> {
      going()
      const id = ++ids
      const reply = await new Promise<Reply>(resolve => {
        if (!child.connected) return resolve({ used: 0, error: 'the loader has exited' })
        pending.set(id, resolve)
        const url = base + path
        const message = { id, options: { url, duration: DURATION, connections: 10, ...options }, each, pool }
        child.send(message, error => {
          if (error !== null) resolve({ used: 0, error: String(error) })
        })
      })
      pending.delete(id)
      if (reply.result === undefined) throw new Error(`load of ${path} failed: ${reply.error}`)
      return { ...reply.result, used: reply.used }
    }
  }
}

/** Successful answers per second: errors and non-2xx answers do not count. */
export function okPerSecond (result: LoadResult): number {
  return result.ok / result.duration
}

export function json (body: unknown): { method: 'POST', headers: Record<string, string>, body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

export async function post (base: string, path: string, body: unknown)
  : Promise<{ status: number, body: Record<string, unknown> }> {
  const response = await fetch(base + path, json(body))
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}
