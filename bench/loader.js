// The benchmark's load generator: autocannon in a process of its own that does nothing else, so
// that what the benchmark does between loads (seeding 100,000 users, holding 60,000 refresh
// tokens) cannot slow the client, and every load of a run starts from the same client.
// It runs the loads `npm run bench` sends over IPC and answers with their figures.
import autocannon from 'autocannon'
import { p99 } from './percentile.js'

/**
 * A load's bodies, when each request needs its own: `{n}` in `template` replaced by a counter
 * (modulo `modulo`), or the strings of `list` in turn (then `fallback` once they run out).
 */
function bodies ({ template, modulo, list, fallback }) {
  let next = 0
  const body = list === undefined
    ? () => template.replaceAll('{n}', String(next++ % modulo))
    : () => list[next++] ?? fallback
  return { requests: [{ setupRequest: request => ({ ...request, body: body() }) }], used: () => next }
}

/** Latencies kept across loads that name the same `pool`, so that rounds of one load give one p99. */
const pools = new Map()

process.on('message', async ({ id, options, each, pool }) => {
  const perRequest = each === undefined ? undefined : bodies(each)
  const latencies = pool === undefined ? [] : pools.get(pool) ?? []
  if (pool !== undefined) pools.set(pool, latencies)
  try {
    const instance = autocannon({ ...options, ...(perRequest === undefined ? {} : { requests: perRequest.requests }) })
    instance.on('response', (client, status, bytes, milliseconds) => {
      if (Number(status) >= 200 && Number(status) < 300) latencies.push(milliseconds)
    })
    const result = await instance
    process.send({
      id,
      result: { ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, duration: result.duration, p99: p99(latencies) },
      used: perRequest?.used() ?? 0
    })
  } catch (error) {
    process.send({ id, error: String(error) })
  }
})
