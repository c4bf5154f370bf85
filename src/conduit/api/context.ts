/** What every part of the conduit's API shares: the home, the unlocked identity, the network, confirmations. */
import { BorgError } from '../../core/errors.js'
import type { Keyring } from '../keyring.js'
import type { ConduitNetwork } from '../conduit-network.js'
import type { Confirmations } from '../confirmations.js'

export interface ApiContext {
  home: string
  keyring: Keyring
  network: ConduitNetwork
  confirmations: Confirmations
}

/** A string field of a JSON body, or a clear 400. */
export function field(body: unknown, name: string, options: { max?: number; optional?: boolean } = {}): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined
  if (value === undefined && options.optional) return ''
  if (typeof value !== 'string' || value.length > (options.max ?? 4096)) throw new InputError(`${name}: a string${options.max ? ` of at most ${options.max} characters` : ''}`)
  return value
}

export class InputError extends BorgError {
  constructor(message: string) {
    super('invalid-input', message)
  }
}
