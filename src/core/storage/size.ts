/** Byte sizes as people write them: 1048576, 512K, 100M, 10G, 1.5T (powers of 1024). */
import { BorgError } from '../errors.js'

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text)
  const value = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : NaN
  if (!Number.isSafeInteger(value) || value < 0) throw new BorgError('invalid-input', `${what}: expected a byte size like 500M or 10G, got ${JSON.stringify(text)}`)
  return value
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

/** A period in ms from the environment variable `name` (at least 100), or undefined when it is not set. */
export function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]
  if (text === undefined) return undefined
  const value = Number(text)
  if (!(Number.isSafeInteger(value) && value >= 100)) throw new BorgError('usage', `${name} must be a whole number of ms ≥ 100`)
  return value
}
