import { resolve } from 'node:path'
import fp from 'fastify-plugin'
import { MailService } from '../../src/mail/mail.js'
import { Templates } from '../../src/mail/templates.js'
import { fileTransport, smtpTransport } from '../../src/mail/transport.js'

declare module 'fastify' {
  interface FastifyInstance {
    mail: MailService
  }
}

/**
 * Mail: the outbox and its sender. The sender starts when the server listens, or when this process first
 * stores a message (`wake`): the CLI builds the same app without listening, and must neither take other
 * instances' messages nor be held at exit by a slow SMTP server. Templates are checked here, at start-up.
 */
export default fp(async function mail (fastify) {
  const { config, store, events, log } = fastify
  const templates = new Templates(config.mail.templatesDir)
  if (templates.unused.length > 0) {
    log.warn({ files: templates.unused, dir: config.mail.templatesDir },
      'mail: files in MAIL_TEMPLATES_DIR that replace no template (their names are the built-in ones\')')
  }
  let transport
  if (config.mail.smtpUrl === undefined) {
    transport = fileTransport(resolve(config.mail.dir), config.mail.from)
    log.warn({ dir: resolve(config.mail.dir) },
      'mail: SMTP_URL is not set, so mail is not delivered: each message is written as an .eml file to MAIL_DIR')
  } else {
    transport = smtpTransport(config.mail.smtpUrl, config.mail.from)
    log.info(`mail: sent through the ${transport.description}`)
  }
  const service = new MailService({ store, events, templates, transport, log })
  fastify.decorate('mail', service)
  fastify.addHook('onListen', async function startMailSender () {
    service.start()
  })
  // Registered after the database's, so run before it closes: a message being sent is marked sent.
  fastify.addHook('onClose', () => service.stop())
}, { name: 'mail', dependencies: ['config', 'db', 'audit'] })
