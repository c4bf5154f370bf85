/** `--expires`: an ISO date, or a duration from now like 90m, 12h, 30d, 2w. */
import { BorgError } from '../errors.js'

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

export function parseExpiry(text: string, now: number): number {
  const duration = /^(\d+)([mhdw])$/.exec(text.trim())
  const at = duration ? now + Number(duration[1]) * UNIT_MS[duration[2]!]! : Date.parse(text)
  if (!Number.isFinite(at)) throw new BorgError('usage', `--expires: expected an ISO date or a duration like 30d, got ${JSON.stringify(text)}`)
  if (at <= now) throw new BorgError('usage', '--expires must be in the future')
  return Math.floor(at)
}
