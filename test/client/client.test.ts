import t from 'tap'
import { createAuthClient } from '../../client/index.js'
import { build, listen, PASSWORD } from '../helper.js'

t.test('the typed client registers, logs in and reads the signed-in user from a listening service', async t => {
  const app = await build(t)
  const client = createAuthClient(await listen(app))
  const email = `client.${process.pid}@example.com`

  const registered = await client.POST('/auth/register', { body: { email, password: PASSWORD, name: 'Grace Hopper' } })
  t.equal(registered.response.status, 201)
  t.match(registered.data, { message: 'User registered successfully', user: { email, name: 'Grace Hopper' } })

  const login = await client.POST('/auth/login', { body: { email, password: PASSWORD } })
  t.equal(login.response.status, 200)
  if (login.data === undefined || !('accessToken' in login.data)) throw new Error('no tokens')
  const me = await client.GET('/auth/me', { headers: { authorization: `Bearer ${login.data.accessToken}` } })
  t.equal(me.response.status, 200)
  t.match(me.data, { email, name: 'Grace Hopper', amr: ['pwd'] })

  const wrong = await client.POST('/auth/login', { body: { email, password: 'not the password at all' } })
  t.equal(wrong.response.status, 401)
  t.match(wrong.error, { statusCode: 401, code: 'INVALID_CREDENTIALS' }, 'an error comes back typed as ErrorResponse')
})
