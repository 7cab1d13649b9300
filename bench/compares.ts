/** The single-core bcryptjs compare rate that the hashing loads are measured against. */
import bcrypt from 'bcryptjs'
import { median, record } from './report.js'
import { COST, PASSWORD, WORKERS } from './settings.js'

export class Compares {
  /** A hash of PASSWORD: the one compared here, and the one every seeded user gets. */
  readonly reference = bcrypt.hashSync(PASSWORD, COST)
  /** The rates measured beside the hashing loads, before and after each. */
  readonly #beside: number[] = []
  /** What a hashing load's ratio is of. */
  readonly of = `of ${WORKERS} cores × the single-core compare rate measured before and after`

  /** Compares per second in this thread over `milliseconds`, with nothing else running. */
  rate (milliseconds: number): number {
    let compares = 0
    const began = performance.now()
    while (performance.now() - began < milliseconds) {
      bcrypt.compareSync(PASSWORD, this.reference)
      compares++
    }
    return compares / ((performance.now() - began) / 1000)
  }

  recordAtStart (): void {
    const name = `bcryptjs compare, one core, cost ${COST}, at the start`
    record({ name, value: this.rate(3000), unit: 'compares/s' })
  }

  /**
   * Runs a load that hashes on every core between two 2-second measurements of the single-core
   * compare rate, and returns its rate as a ratio to cores × their mean: both sides of the ratio
   * are measured within seconds of each other, as a shared machine's speed drifts over minutes.
   */
  async hashing<T> (work: () => Promise<T>, perSecond: (result: T) => number)
    : Promise<{ result: T, ratio: number, compareRate: number }> {
    const before = this.rate(2000)
    const result = await work()
    const after = this.rate(2000)
    this.#beside.push(before, after)
    return { result, ratio: perSecond(result) / (WORKERS * (before + after) / 2), compareRate: (before + after) / 2 }
  }

  recordBeside (): void {
    const rates = this.#beside
    const name = `bcryptjs compare, one core, cost ${COST}, before and after the hashing loads`
    record({ name: `${name} (median of ${rates.length})`, value: median(rates), unit: 'compares/s' })
  }
}
