// Preloaded into the server under benchmark (`node --import ./bench/probe.js`): measures the
// event loop's delay with perf_hooks and reports it to the benchmark over the IPC channel.
// The server's own code is unchanged.
import { monitorEventLoopDelay } from 'node:perf_hooks'

const histogram = monitorEventLoopDelay({ resolution: 1 })
histogram.enable()
process.on('message', message => {
  if (message === 'reset') {
    histogram.reset()
    process.send?.({ reset: true })
  } else if (message === 'report') {
    process.send?.({ p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 })
  }
})
// The channel must not keep the server alive once it is told to stop.
process.channel?.unref()
