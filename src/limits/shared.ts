/** Calls to the store the limits share across instances (Redis). */
import { StoreUnavailable } from '../errors.js'

/** A Redis call whose failure is a 503 for the client, never a 500 and never a skipped limit. */
export async function shared<T> (call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new StoreUnavailable({ cause: error })
  }
}
