/** The process: read the configuration, build the app, listen, and close gracefully on a signal. */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

const app = await buildApp(config)

// A close ends once the requests in flight are answered (plugins/app/drain.ts); the timer is a last resort,
// for a request or a resource that does not end.
closeWithGrace({
  delay: 10_000,
  // Its own messages (a second signal, a failed close) into the service's log rather than the console.
  logger: {
    error: (message: unknown) => message instanceof Error
      ? app.log.error({ err: message }, 'close failed')
      : app.log.error(String(message))
  },
  onTimeout: delay => app.log.error({ delay }, 'still closing after the delay: exiting without waiting more')
}, async function close ({ signal, err }) {
  if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
  else app.log.info({ signal }, 'closing')
  const started = performance.now()
  await app.close()
  app.log.info({ ms: Math.round(performance.now() - started) }, 'closed')
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  app.log.fatal({ err: error }, 'could not start')
  process.exit(1)
}
