/** The code of the BorgError `fn` throws, undefined when it returns; any other throw fails the test. */
import { BorgError } from '../../src/core/errors.js'

export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (error) {
    if (!(error instanceof BorgError)) throw error
    return error.code
  }
}
