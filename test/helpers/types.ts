/** Types the test helpers share. */
import type { buildApp } from '../../src/app.js'

export interface Teardown { teardown: (fn: () => unknown) => void }

export type App = Awaited<ReturnType<typeof buildApp>>
