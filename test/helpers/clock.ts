/** A clock under the test's control. */
import type { Teardown } from './types.js'

/**
 * `performance.now`, the monotonic clock, under the test's control until the test ends: it
 * stands still but when advanced. The SQLite store looks for other processes' commits by it.
 */
export function fakeMonotonicClock (t: Teardown): { advance: (ms: number) => void } {
  const real = performance.now
  let now = real.call(performance)
  performance.now = () => now
  t.teardown(() => { performance.now = real })
  return { advance: ms => { now += ms } }
}
