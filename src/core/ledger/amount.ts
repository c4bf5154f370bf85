/**
 * Borg Shells as integers: one Shell is 10^9 base units (the original
 * peerPays precision), held in a bigint, written on the wire as an unsigned
 * 64-bit integer. There is no floating point anywhere: amounts are parsed
 * from decimal text exactly and refused with more than 9 decimals.
 */
import { BorgError } from '../errors.js'

export const DECIMALS = 9
export const BASE_UNITS_PER_SHELL = 10n ** BigInt(DECIMALS)
/** Every Shell there will ever be: 20,000,000, all given to the treasury at genesis. */
export const TOTAL_SUPPLY = 20_000_000n * BASE_UNITS_PER_SHELL
/** The largest amount a block field can hold (u64); far above the supply, so sums never wrap. */
export const MAX_U64 = 2n ** 64n - 1n

/**
 * Parse decimal Shells ("12", "0.5", "1234.000000001") into base units. Refused: signs, exponents,
 * separators, more than 9 decimals, more than the total supply.
 */
export function parseShells(text: string): bigint {
  const t = text.trim()
  const match = /^(\d+)(?:\.(\d+))?$/.exec(t)
  if (!match) throw new BorgError('invalid-input', `"${text}" is not an amount of Shells: write digits, optionally a point and up to ${DECIMALS} decimals (e.g. 12.5)`)
  const [, whole, fraction = ''] = match
  if (fraction.length > DECIMALS) throw new BorgError('invalid-input', `"${text}" has ${fraction.length} decimals; Shells have ${DECIMALS}`)
  const units = BigInt(whole!) * BASE_UNITS_PER_SHELL + BigInt(fraction.padEnd(DECIMALS, '0'))
  if (units > TOTAL_SUPPLY) throw new BorgError('invalid-input', `"${text}" is more than the ${formatShells(TOTAL_SUPPLY)} Shells that exist`)
  return units
}

/** Base units as decimal Shells, without trailing zeros ("12.5", "0.000000001", "20000000"). */
export function formatShells(units: bigint): string {
  if (units < 0n) throw new RangeError('a negative amount')
  const whole = units / BASE_UNITS_PER_SHELL
  const fraction = (units % BASE_UNITS_PER_SHELL).toString().padStart(DECIMALS, '0').replace(/0+$/, '')
  return fraction ? `${whole}.${fraction}` : `${whole}`
}

/** An amount read from a block: within u64 and within the supply. */
export function checkAmount(units: bigint, what: string): bigint {
  if (units < 0n || units > TOTAL_SUPPLY) throw new BorgError('malformed', `${what} ${units} is outside 0 … ${TOTAL_SUPPLY} base units`)
  return units
}
