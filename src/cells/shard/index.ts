/**
 * The shard cell: content-addressed storage. Its DNA keeps the original
 * PeerTree numbers. Its storage organ keeps chunks on disk and answers for
 * them; clients place, upload and fetch (src/client/); file managers
 * (src/cells/files/) keep the manifests and audit.
 *
 * BORG_SHARD_QUOTA bounds the disk a node offers (default 10G);
 * BORG_SHARD_ROUND_MS and BORG_SHARD_GRACE_MS set how often chunks are
 * collected and scrubbed and how long an unvouched chunk is kept (docs/storage.md).
 */
import { envMs, parseSize } from '../../core/storage/size.js'
import type { CellType } from '../../core/cell/types.js'
import { StorageOrgan } from './storage-organ.js'
import { StreamOrgan } from './stream-organ.js'
import { SHARD_CODECS } from './messages.js'
import { STREAM_CODECS } from '../../core/stream/messages.js'

export const DEFAULT_SHARD_QUOTA = '10G'

export const shardCell: CellType = {
  dna: { name: 'shard', netPort: 13350, recpPort: 13355, monPort: 13340, maxChildren: 25 },
  summary: 'content-addressed storage: chunks and owner-signed manifests, placed by rendezvous hashing',
  organs: (context) => (context.dataDir ? [new StorageOrgan(context, storageOptions(process.env)), new StreamOrgan(context)] : []),
  // The stream organ answers DStream's kinds (src/core/stream/).
  codecs: { ...SHARD_CODECS, ...STREAM_CODECS },
}

function storageOptions(env: NodeJS.ProcessEnv) {
  const ms = (name: string) => envMs(env, name)
  const keeper: { roundMs?: number; graceMs?: number } = {}
  const roundMs = ms('BORG_SHARD_ROUND_MS')
  const graceMs = ms('BORG_SHARD_GRACE_MS')
  if (roundMs !== undefined) keeper.roundMs = roundMs
  if (graceMs !== undefined) keeper.graceMs = graceMs
  return { quotaBytes: parseSize(env.BORG_SHARD_QUOTA ?? DEFAULT_SHARD_QUOTA, 'BORG_SHARD_QUOTA'), keeper }
}

export { StorageOrgan } from './storage-organ.js'
export { MAX_REPLICAS } from './messages.js'
export { SHARD_KIND } from './messages.js'
