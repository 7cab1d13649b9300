/** Where the generated migrations are, from the sources or from dist/. */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Dialect } from './store.js'

/** The checkout's root: the nearest folder with a package.json, from source or from dist/. */
export function projectRoot (): string {
  let folder = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder)
    if (parent === folder) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url))
    folder = parent
  }
  return folder
}

export const migrationsFolder = (dialect: Dialect) => join(projectRoot(), 'drizzle', dialect)
