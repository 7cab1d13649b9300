// The benchmark's load generator: autocannon in a process of its own that does nothing else, so
// that what the benchmark does between loads (seeding 100,000 users, holding 60,000 refresh
// tokens) cannot slow the client, and every load of a run starts from the same client.
// It runs the loads `npm run bench` sends over IPC and answers with their figures.
import autocannon from 'autocannon'

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

process.on('message', async ({ id, options, each }) => {
  const perRequest = each === undefined ? undefined : bodies(each)
  try {
    const result = await autocannon({ ...options, ...(perRequest === undefined ? {} : { requests: perRequest.requests }) })
    process.send({
      id,
      result: { ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, duration: result.duration, p99: result.latency.p99 },
      used: perRequest?.used() ?? 0
    })
  } catch (error) {
    process.send({ id, error: String(error) })
  }
})
