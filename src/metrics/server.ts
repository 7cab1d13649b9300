/** The metrics' own HTTP server: GET /metrics and nothing else, on a port apart from the API's. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from './metrics.js'

export class MetricsServer {
  readonly #server: Server

  constructor (metrics: Metrics, log: FastifyBaseLogger) {
    const { contentType } = metrics.registry
    this.#server = createServer((request, response) => {
      if (request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n')
        return
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
          .end('Method Not Allowed\n')
        return
      }
      metrics.scrape().then(text => {
        response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
          .end(request.method === 'HEAD' ? undefined : text)
      }, (error: unknown) => {
        log.error({ err: error }, 'metrics: the scrape failed')
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n')
      })
    })
    // A scraper that stalls cannot hold a socket for long.
    this.#server.requestTimeout = 10_000
    this.#server.headersTimeout = 10_000
  }

  /** Listens on `host`:`port` (0: a free port); resolves with the address once listening. */
  listen (port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        resolve(this.#server.address() as AddressInfo)
      })
    })
  }

  /** Stops listening and ends the scrapers' kept-alive connections; done at once when it never listened. */
  close (): Promise<void> {
    if (!this.#server.listening) return Promise.resolve()
    return new Promise(resolve => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
  }
}
