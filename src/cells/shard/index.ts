/**
 * The shard cell: content-addressed storage. Its DNA keeps the original
 * PeerTree numbers. In this release it forms its tree (membership, broadcast,
 * routing); the storage organs (placement, transfer, self-heal) arrive with the
 * storage milestone and plug in here.
 */
import type { CellType } from '../types.js'

export const shardCell: CellType = {
  dna: { name: 'shard', netPort: 13350, recpPort: 13355, monPort: 13340, maxChildren: 25 },
  summary: 'content-addressed storage (tree membership now; storage organs arrive with the storage milestone)',
  organs: () => [],
}
