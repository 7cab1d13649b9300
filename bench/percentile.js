/**
 * The 99th percentile of `values` (nearest rank), or 0 for none. The benchmark's latencies are
 * kept as measured, to the microsecond: autocannon's own histogram counts whole milliseconds,
 * truncated, so a p99 of 0.8 ms read as 0 and one of 25.9 ms as 25.
 * @param {number[]} values
 * @returns {number}
 */
export function p99 (values) {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.ceil(sorted.length * 0.99) - 1] ?? 0
}
