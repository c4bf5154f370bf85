/**
 * What stored files must satisfy once the network has healed, checked from
 * outside (in-process organisms, real processes): every chunk of every file
 * has its copies on live shard cells, and every manifest is kept by live file
 * managers. Each violation is one line of text.
 */
export interface StoredFile {
  /** The manifest id. */
  id: string
  chunks: readonly string[]
  /** Copies the file asked for. */
  replicas: number
}

export interface StorageObservation {
  files: readonly StoredFile[]
  /** Live shard cells (node ids). */
  shardCells: readonly string[]
  /** Live file managers (node ids). */
  fileManagers: readonly string[]
  /** The live shard cells holding a chunk. */
  chunkHolders: ReadonlyMap<string, readonly string[]>
  /** The live file managers keeping a manifest. */
  manifestKeepers: ReadonlyMap<string, readonly string[]>
}

/**
 * A healed network keeps `min(replicas, live cells)` copies of each chunk
 * (never fewer, whatever died) and of each manifest; `atLeast` relaxes the
 * count to "not lost" (one copy), for the moments before a repair.
 */
export function checkStorage(o: StorageObservation, options: { atLeast?: 'replicas' | 'one' } = {}): string[] {
  const problems: string[] = []
  const shard = new Set(o.shardCells)
  const managers = new Set(o.fileManagers)
  for (const file of o.files) {
    const chunkTarget = options.atLeast === 'one' ? 1 : Math.min(file.replicas, shard.size)
    for (const [index, hash] of file.chunks.entries()) {
      const holders = (o.chunkHolders.get(hash) ?? []).filter((id) => shard.has(id))
      if (holders.length < chunkTarget) problems.push(`file ${file.id.slice(0, 12)} chunk ${index} (${hash.slice(0, 12)}): ${holders.length} live copies, want ${chunkTarget}`)
    }
    const keepers = (o.manifestKeepers.get(file.id) ?? []).filter((id) => managers.has(id))
    const manifestTarget = options.atLeast === 'one' ? 1 : Math.min(file.replicas, managers.size)
    if (keepers.length < manifestTarget) problems.push(`file ${file.id.slice(0, 12)}: manifest kept by ${keepers.length} live file managers, want ${manifestTarget}`)
  }
  return problems
}
