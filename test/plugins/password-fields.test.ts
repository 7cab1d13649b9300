import t from 'tap'
import { build, post } from '../helper.js'

const DECOMPOSED = 'cre\u0300me bru\u0302le\u0301e a\u0300 la carte'

/** A route echoing its body, so the test sees what the handler received. */
function echoRoute (url: string, body: object) {
  return (app: Awaited<ReturnType<typeof build>>) => {
    app.post(url, { schema: { body } }, async request => request.body)
  }
}

t.test('password fields reach the handler in NFC, whether the body schema is inline or a shared $ref', async t => {
  const inline = { type: 'object', properties: { password: { type: 'string' } } }
  const app = await build(t, {}, {
    setup: app => {
      app.addSchema({ $id: 'EchoPasswordBody', ...inline })
      echoRoute('/echo/inline', inline)(app)
      echoRoute('/echo/ref', { $ref: 'EchoPasswordBody#' })(app)
      echoRoute('/echo/other', { type: 'object', properties: { note: { type: 'string' } } })(app)
    }
  })
  for (const url of ['/echo/inline', '/echo/ref']) {
    const response = await post(app, url, { password: DECOMPOSED })
    t.equal(response.json().password, DECOMPOSED.normalize('NFC'), url)
  }
  const untouched = await post(app, '/echo/other', { note: DECOMPOSED })
  t.equal(untouched.json().note, DECOMPOSED, 'a field that is not a password is left as sent')
})
