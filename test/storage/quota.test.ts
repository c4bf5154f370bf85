/**
 * A file larger than all the free space: the put fails with a clear error
 * (every holder says it is full) and nothing already stored is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { silentLogger } from '../../src/core/log.js'
import { testSigner } from '../helpers/keys.js'
import { clientAt, organismNodes, storageOf } from '../helpers/organism-nodes.js'

const organism = organismNodes('borg-quota-')
const { nodes } = organism
const owner = testSigner('secp256k1')
const transport = new HttpsTransport({ log: silentLogger, signer: owner })
afterAll(async () => {
  await transport.close()
  await organism.stopAll()
})

async function* once(bytes: Uint8Array) {
  yield bytes
}

beforeAll(async () => {
  const saved = process.env.BORG_SHARD_QUOTA
  process.env.BORG_SHARD_QUOTA = '1M' // each of the 3 nodes offers 1 MiB
  try {
    for (let i = 0; i < 3; i++) await organism.start(i === 0 ? [] : [nodes[0]!.cells[0]!.endpoints.net])
  } finally {
    if (saved === undefined) delete process.env.BORG_SHARD_QUOTA
    else process.env.BORG_SHARD_QUOTA = saved
  }
  await organism.formed(3)
}, 90_000)

describe('a file larger than the free space', () => {
  it('is refused with a clear error, and what was stored before stays readable', async () => {
    const client = () => clientAt(nodes[1]!, transport)
    const small = randomBytes(100_000)
    const kept = await client().put(once(small), { owner, chunkSize: 64 * 1024, replicas: 3 })
    const error = await client()
      .put(once(randomBytes(3 * 1024 * 1024)), { owner, chunkSize: 256 * 1024, replicas: 3 })
      .then(() => undefined, (e: Error & { code?: string }) => e)
    expect(error?.code).toBe('unavailable')
    expect(error?.message).toMatch(/full/)
    const parts: Uint8Array[] = []
    await client().get(kept.manifest.id, (b) => void parts.push(Uint8Array.from(b)))
    expect(Buffer.concat(parts).equals(small)).toBe(true)
    for (const n of nodes) {
      const organ = storageOf(n)
      expect(organ.chunks.usedBytes).toBeLessThanOrEqual(organ.chunks.quotaBytes)
    }
  }, 30_000)
})
