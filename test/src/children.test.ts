import t from 'tap'
import { spawnNode } from '../helpers/processes.js'

t.test('the processes the tests start (the CLI, the server) run without tap\'s loader hooks', async t => {
  const child = spawnNode(['-e', 'process.stdout.write(JSON.stringify(process.env.NODE_OPTIONS ?? null))'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout?.on('data', chunk => { output += String(chunk) })
  const code = await new Promise(resolve => child.on('close', resolve))
  t.equal(code, 0)
  t.equal(output, 'null', 'no NODE_OPTIONS in the child, though tap adds its hook to every spawn')
})
