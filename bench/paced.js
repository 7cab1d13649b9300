// A paced load for latency, kept cheap for the client: `npm run bench` samples /health with it
// while logins saturate every core, and any CPU the client spends is taken from the hashing
// threads it is measuring (fetch spent about 2 ms of CPU per request at this pace; a bare socket
// about 0.6 ms, as the README says).
import { connect } from 'node:net'
import { p99 } from './percentile.js'

/**
 * GET `path` from 127.0.0.1:`port` every `interval` ms for `duration` ms, one request at a time
 * on one kept-alive connection, and the p99 of the successful answers' latencies, each timed from
 * when its request left. An answer slower than `interval` held back the requests due meanwhile,
 * which are not sent late but counted as the waits they would have had (the correction for
 * coordinated omission, as HdrHistogram's recordValueWithExpectedInterval makes it).
 * autocannon's `overallRate` sends each second's requests in a burst at its start, hence this.
 * Answers are framed by their Content-Length, which Fastify sets on every JSON answer.
 * @param {number} port
 * @param {string} path
 * @param {number} interval
 * @param {number} duration
 * @returns {Promise<{ p99: number, failed: number }>}
 */
export async function paced (port, path, interval, duration) {
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 'latin1')
  /** @type {((status: number) => void) | undefined} */
  let answered
  /** @type {((error: Error) => void) | undefined} */
  let failed
  let received = Buffer.alloc(0)
  socket.on('data', chunk => {
    received = Buffer.concat([received, chunk])
    const end = received.indexOf('\r\n\r\n')
    if (end === -1) return
    const head = received.subarray(0, end).toString('latin1')
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
    if (received.length < end + 4 + length) return
    received = received.subarray(end + 4 + length)
    answered?.(Number(head.slice(9, 12)))
  })
  socket.on('error', error => failed?.(error))
  socket.on('close', () => failed?.(new Error(`${path}: the connection closed`)))

  const latencies = []
  let errors = 0
  try {
    const start = performance.now()
    for (let due = start; due < start + duration;) {
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      const sent = performance.now()
      const status = await new Promise((resolve, reject) => {
        answered = resolve
        failed = reject
        socket.write(request)
      })
      const latency = performance.now() - sent
      if (status >= 200 && status < 300) {
        latencies.push(latency)
        for (let held = latency - interval; held >= interval; held -= interval) latencies.push(held)
      } else {
        errors++
      }
      // The next request is the first one due after this answer: those due before it were counted above.
      due = start + interval * (Math.floor((performance.now() - start) / interval) + 1)
    }
  } finally {
    failed = undefined
    socket.destroy()
  }
  return { p99: p99(latencies), failed: errors }
}
