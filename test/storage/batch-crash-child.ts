/**
 * The writer that batch-crash.test.ts kills with kill -9: stores batches of
 * random chunks with ChunkStore.putMany (the group commit a holder does for a
 * `shard.chunks.put`) forever, printing `writing N HASHES` before each batch
 * and `acked N` once putMany has resolved (when a holder would reply).
 */
import { randomBytes, createHash } from 'node:crypto'
import { ChunkStore } from '../../src/cells/shard/chunk-store.js'

const [dir, firstBatch] = process.argv.slice(2)
const store = new ChunkStore({ dir: dir!, quotaBytes: 1 << 30 })
await store.open()
process.stdout.write('open\n')
for (let batch = Number(firstBatch); ; batch++) {
  const chunks = Array.from({ length: 8 }, () => randomBytes(64 * 1024 + Math.floor(Math.random() * 192 * 1024)))
  const items = chunks.map((bytes) => ({ hash: createHash('sha256').update(bytes).digest('hex'), bytes }))
  process.stdout.write(`writing ${batch} ${items.map((i) => i.hash).join(',')}\n`)
  await store.putMany(items)
  process.stdout.write(`acked ${batch}\n`)
}
