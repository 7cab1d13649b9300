// The behaviour suite test/plugins/error-handler.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../plugins/error-handler.test.js'))
