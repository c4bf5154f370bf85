/**
 * The shard cell: content-addressed storage. Its DNA keeps the original
 * PeerTree numbers. Its storage organ keeps chunks and manifests on disk and
 * answers for them; clients place, upload and fetch (client.ts).
 *
 * BORG_SHARD_QUOTA bounds the disk a node offers (default 10G).
 */
import { parseSize } from '../../core/storage/size.js'
import type { CellType } from '../types.js'
import { StorageOrgan } from './storage-organ.js'

export const DEFAULT_SHARD_QUOTA = '10G'

export const shardCell: CellType = {
  dna: { name: 'shard', netPort: 13350, recpPort: 13355, monPort: 13340, maxChildren: 25 },
  summary: 'content-addressed storage: chunks and owner-signed manifests, placed by rendezvous hashing',
  organs: (context) => (context.dataDir ? [new StorageOrgan(context, { quotaBytes: parseSize(process.env.BORG_SHARD_QUOTA ?? DEFAULT_SHARD_QUOTA, 'BORG_SHARD_QUOTA') })] : []),
}

export { StorageOrgan, fetchMembers, MAX_REPLICAS } from './storage-organ.js'
export { SHARD_KIND } from './messages.js'
