import { connect } from 'node:net'
import t from 'tap'
import { build, listen } from '../helper.js'

/**
 * Sends `head` at once, then `trickle` a byte every 200 ms; resolves with what the server answered and
 * when the connection closed, in milliseconds from the start. Gives up after 15 s.
 */
function trickled (base: string, head: string, trickle: string): Promise<{ answer: string, closedAfter: number }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let answer = ''
    let sent = 0
    const socket = connect(Number(port), hostname, () => socket.write(head))
    const timer = setInterval(() => {
      if (sent < trickle.length && socket.writable) socket.write(trickle[sent++] as string)
    }, 200)
    const giveUp = setTimeout(() => socket.destroy(new Error('no answer in 15 s')), 15_000)
    socket.on('data', chunk => { answer += String(chunk) })
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(giveUp)
      resolve({ answer, closedAfter: performance.now() - started })
    })
    socket.on('error', error => {
      clearInterval(timer)
      clearTimeout(giveUp)
      if (answer === '') reject(error)
    })
  })
}

t.test('a request trickled past REQUEST_TIMEOUT is answered 408 within about a second of it', async t => {
  const app = await build(t, { REQUEST_TIMEOUT: '2s' })
  const base = await listen(app)
  const body = JSON.stringify({ email: 'slow@example.com', password: 'correct horse battery staple' })
  const cases = {
    body: [
      `POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body
    ],
    headers: ['POST /auth/login HTTP/1.1\r\nHost: localhost\r\n', 'Content-Type: application/json\r\nX-Padding: ' + 'x'.repeat(60)]
  }
  for (const [part, [head, trickle]] of Object.entries(cases) as Array<[string, [string, string]]>) {
    const { answer, closedAfter } = await trickled(base, head, trickle)
    t.match(answer, /^HTTP\/1\.1 408 /, `${part}: 408`)
    t.match(answer, /"code":"REQUEST_TIMEOUT"/, `${part}: in the common error shape`)
    t.ok(closedAfter >= 1900 && closedAfter < 4000, `${part}: cut after ${Math.round(closedAfter)} ms, for a 2 s deadline`)
  }
})
