import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { BREACH_CHECK_TIMEOUT_MS, PwnedPasswords } from '../../src/passwords/breach-check.js'

/** A logger that keeps its warnings, and is silent otherwise. */
function recordingLog () {
  const warnings: unknown[][] = []
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as FastifyBaseLogger
  return { log, warnings }
}

t.test('production waits 2 seconds for the range API', async t => {
  t.equal(BREACH_CHECK_TIMEOUT_MS, 2000)
})

t.test('a range API slower than the timeout: the password is accepted, and a warning logged', async t => {
  const server = createServer(() => {})
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }))
  const { log, warnings } = recordingLog()
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const check = new PwnedPasswords({ url, log, timeout: 100 })
  const started = Date.now()
  t.equal(await check.isBreached('any password at all'), false)
  t.ok(Date.now() - started < 1000, 'gave up at its timeout')
  t.equal(warnings.length, 1)
  t.match(warnings[0], [{ err: { name: 'TimeoutError' } }, /accepted/])
  t.notMatch(JSON.stringify(warnings), /any password/, 'the password is not logged')
})

t.test('an answer with lower-case suffixes and CRLF lines is read', async t => {
  const server = createServer((request, response) => {
    response.end('0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n' +
      // SHA-1 of "password" is 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8.
      '1e4c9b93f3f0682250b6cf8331b7ee68fd8:9659365\r\n')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const { log } = recordingLog()
  const check = new PwnedPasswords({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log })
  t.equal(await check.isBreached('password'), true)
  t.equal(await check.isBreached('not that one'), false)
})
