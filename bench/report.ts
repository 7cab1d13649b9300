/** The run's figures: each printed as it is measured, then all of them as one table and a JSON file. */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { DURATION, ENGINE, POSTGRES, ROOT, WORKERS } from './settings.js'

export interface Figure {
  name: string
  value: number
  unit: string
  parts?: Record<string, number>
  ratio?: { value: number, target: string, of: string }
}

const figures: Figure[] = []

export function record (figure: Figure): void {
  figures.push(figure)
  const ratio = figure.ratio === undefined ? '' : ratioText(figure.ratio)
  console.error(`  ${figure.name}: ${[valueText(figure), ratio].filter(Boolean).join(', ')}`)
}

/** A figure's value with its unit and parts; none for a bare ratio, which its ratio column states. */
function valueText ({ value, unit, parts, ratio }: Figure): string {
  if (unit === '' && ratio !== undefined) return ''
  const detail = parts === undefined
    ? ''
    : ` (${Object.entries(parts).map(([part, share]) => `${part} ${share.toFixed(2)}`).join(', ')})`
  return `${round(value)} ${unit}${detail}`.trim()
}

/** Whether `value` meets a target written `≥ x`, `≤ x` or `a–b`; undefined for none (`—`). */
function meets (value: number, target: string): boolean | undefined {
  const bound = /^([≥≤]) ([\d.]+)$/.exec(target)
  if (bound !== null) return bound[1] === '≥' ? value >= Number(bound[2]) : value <= Number(bound[2])
  const range = /^([\d.]+)–([\d.]+)$/.exec(target)
  return range === null ? undefined : value >= Number(range[1]) && value <= Number(range[2])
}

/**
 * A ratio, what it is of, and its target with whether it was met. Two decimals, or three where
 * two would round a miss up to the target (0.497 is not 0.50 of a "≥ 0.5" target).
 */
function ratioText ({ value, of, target }: NonNullable<Figure['ratio']>): string {
  const met = meets(value, target)
  const rounded = met !== undefined && meets(Number(value.toFixed(2)), target) !== met
  const shown = rounded ? value.toFixed(3) : value.toFixed(2)
  return `${shown} ${of} (${target}${met === undefined ? '' : met ? ', met' : ', missed'})`.replace(/ +\(/, ' (')
}

function round (value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  if (sorted.length % 2 === 1) return sorted[middle] as number
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Prints the table on standard output and writes the figures to bench/results(.postgres).json. */
export function writeReport (): void {
  const table = ['| Figure | Value | Ratio (target) |', '|---|---:|---|', ...figures.map(figure => {
    const ratio = figure.ratio === undefined ? '' : ratioText(figure.ratio)
    return `| ${figure.name} | ${valueText(figure)} | ${ratio} |`
  })].join('\n')
  console.log(table)
  const machine = {
    cores: WORKERS,
    cpu: cpus()[0]?.model,
    node: process.version,
    durationSeconds: DURATION,
    database: ENGINE
  }
  const file = POSTGRES === undefined ? 'results.json' : 'results.postgres.json'
  const json = JSON.stringify({ date: new Date().toISOString(), machine, figures }, null, 2)
  writeFileSync(join(ROOT, 'bench', file), json + '\n')
  console.error(`Written: bench/${file}`)
}
