// The behaviour suite test/src/cli.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../src/cli.test.js'))
