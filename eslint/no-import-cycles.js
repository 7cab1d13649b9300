/**
 * An ESLint rule: no import cycle among the project's own modules, type imports included
 * (import-x/no-cycle skips those, and a type cycle still ties two layers together).
 * The graph is read once per lint run from the relative specifiers of each file.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

/** The file a relative specifier names: `./x.js` is `./x.ts` in the sources. */
function resolveSpecifier (from, specifier) {
  const target = resolve(dirname(from), specifier)
  for (const candidate of [target.replace(/\.js$/, '.ts'), target]) {
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

const graph = new Map()
function importsOf (file) {
  let edges = graph.get(file)
  if (edges === undefined) {
    edges = []
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const target = resolveSpecifier(file, match[1] ?? match[2])
      if (target !== undefined) edges.push({ target, specifier: match[1] ?? match[2] })
    }
    graph.set(file, edges)
  }
  return edges
}

/** A path of files from `start` back to `file`, or undefined. */
function cycleThrough (file, start) {
  const seen = new Set([start])
  const queue = [[start]]
  while (queue.length > 0) {
    const path = queue.shift()
    for (const { target } of importsOf(path.at(-1))) {
      if (target === file) return path
      if (!seen.has(target)) {
        seen.add(target)
        queue.push([...path, target])
      }
    }
  }
  return undefined
}

export default {
  meta: { type: 'problem', messages: { cycle: 'Import cycle: {{path}}' }, schema: [] },
  create (context) {
    const file = context.filename
    function check (node) {
      const specifier = node.source?.value
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return
      const target = resolveSpecifier(file, specifier)
      if (target === undefined) return
      const path = cycleThrough(file, target)
      if (path === undefined) return
      const names = [file, ...path, file].map(name => relative(context.cwd, name))
      context.report({ node, messageId: 'cycle', data: { path: names.join(' → ') } })
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  }
}
