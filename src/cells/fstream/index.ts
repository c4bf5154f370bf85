/**
 * The streaming cell (fStream): serves stored files to players and browsers
 * over HTTPS with Range at `GET /files/ID` on its receptor port, and when it
 * is at its client capacity sends new clients to a less busy streaming cell
 * (docs/storage.md). DNA: the original's fstreamTreeCell numbers.
 *
 * BORG_FSTREAM_CLIENTS sets how many media responses a cell serves at once (default 64).
 */
import { BorgError } from '../../core/errors.js'
import type { CellType } from '../../core/cell/types.js'
import { DEFAULT_FSTREAM_CLIENTS, MediaOrgan } from './media-organ.js'
import { FSTREAM_CODECS } from './messages.js'

export const fstreamCell: CellType = {
  dna: { name: 'fstream', netPort: 13399, recpPort: 13400, monPort: 13401, maxChildren: 25 },
  summary: 'streaming: stored files served to players over HTTPS with Range; a full cell redirects new clients to a less busy one',
  organs: (context) => [new MediaOrgan(context, { capacity: clientsFrom(process.env) })],
  codecs: FSTREAM_CODECS,
}

function clientsFrom(env: NodeJS.ProcessEnv): number {
  const text = env.BORG_FSTREAM_CLIENTS
  if (text === undefined) return DEFAULT_FSTREAM_CLIENTS
  const value = Number(text)
  if (!(Number.isSafeInteger(value) && value >= 1)) throw new BorgError('usage', 'BORG_FSTREAM_CLIENTS must be a whole number ≥ 1')
  return value
}

export { MediaOrgan, DEFAULT_FSTREAM_CLIENTS } from './media-organ.js'
export { FSTREAM_KIND, FSTREAM_CODECS, FILES_PATH } from './messages.js'
