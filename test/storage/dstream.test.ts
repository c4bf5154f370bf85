/**
 * DStream over real HTTPS in one process: a node sends a file its owner
 * asked it to send, the receiving node pulls it from that node (a member of
 * its shard tree) in a window, rejects a chunk that does not match its
 * announced hash and asks again, resumes after an interrupted transfer
 * without pulling again what it has, and refuses hostile offers.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { MAX_OFFER_BYTES, MAX_OFFER_CHUNKS, STREAM_KIND, readOffer } from '../../src/core/stream/messages.js'
import { sendFile } from '../../src/core/stream/sender.js'
import { readJson } from '../helpers/json-messages.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { closeAll, streamNode, tempDir } from '../stream/harness.js'

afterAll(closeAll)

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function fileOf(bytes: Uint8Array, name: string): Promise<string> {
  const path = join(await tempDir('borg-dstream-src-'), name)
  await writeFile(path, bytes)
  return path
}

/** A sending node, and a receiving node that knows it as a shard member and takes its offers. */
async function pair(options: Parameters<typeof streamNode>[0] = {}) {
  const sender = await streamNode()
  const receiver = await streamNode({ members: () => [sender.member], ...options })
  await receiver.owner.control(STREAM_KIND.allow, { key: sender.node.id })
  return { sender, receiver }
}

/** Fails or tampers with the receiver's pulls, as the test says. */
function pullsThrough(t: Transport, decide: (index: number) => 'pass' | 'fail' | ((body: Uint8Array) => Uint8Array), seen: number[]): Transport {
  return {
    localId: t.localId,
    onMessage: (h) => t.onMessage(h),
    send(peer, message, options) {
      if (message.kind !== STREAM_KIND.pull) return t.send(peer, message, options)
      const { index } = readJson<{ index: number }>({ ...message, body: message.body!, bodyType: message.bodyType!, kind: message.kind } as never)
      const what = decide(index)
      if (what === 'fail') return options?.onResult?.(Object.assign(new Error('gone'), { code: 'unavailable' }) as never)
      t.send(peer, message, {
        ...options,
        onResult: (error, reply) => {
          if (!error && reply && typeof what === 'function') return options?.onResult?.(null, { ...reply, body: what(reply.body), bodyHash: undefined })
          if (!error) seen.push(index)
          options?.onResult?.(error, reply)
        },
      })
    },
  }
}

describe('DStream', () => {
  it('sends a file through the sending node, which the receiver pulls from it, checks and keeps', async () => {
    const { sender, receiver } = await pair()
    const data = randomBytes(5 * 65536 + 123)
    const progress: number[] = []
    const result = await sendFile({ path: await fileOf(data, 'clip.bin'), to: receiver.node.endpoint, node: sender.owner, chunkSize: 65536, pollMs: 20, onProgress: (r) => progress.push(r) })
    expect(result.done).toBe(true)
    expect(result.status).toBe('done')
    expect(result.streamId).toBe(sha(data))
    expect(sha(await readFile(result.path!))).toBe(sha(data))
    expect(result.path!.endsWith('-clip.bin')).toBe(true)
    expect(progress.at(-1)).toBe(data.length)
    expect(sender.sources.counters.pullsServed).toBe(6)
  }, 30_000)

  it('asks again for a chunk that arrives corrupted, and resumes after an interruption without pulling twice', async () => {
    // The first pull of chunk 2 gets a tampered body, and while `failing` every pull of chunks 6 and up fails.
    let failing = true
    let tampered = false
    const counted: number[] = []
    const decide = (index: number) => {
      if (failing && index >= 6) return 'fail' as const
      if (index === 2 && !tampered) {
        tampered = true
        return (body: Uint8Array) => {
          const copy = Uint8Array.from(body)
          copy[0]! ^= 1
          return copy
        }
      }
      return 'pass' as const
    }
    const { sender, receiver } = await pair({ pullTransport: (t) => pullsThrough(t, decide, counted) })
    const data = randomBytes(10 * 65536)
    const path = await fileOf(data, 'big.bin')
    const send = () => sendFile({ path, to: receiver.node.endpoint, node: sender.owner, chunkSize: 65536, pollMs: 20 })
    await expect(send()).rejects.toThrow(/gave up: unavailable: the source did not deliver/)
    expect(tampered).toBe(true)
    // Chunks 0-5 arrived except the tampered 2 (asked again, but the give-up came first).
    expect([...counted].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5])
    failing = false // the sender is back
    const result = await send()
    expect(sha(await readFile(result.path!))).toBe(sha(data))
    // Resumed: the second transfer pulled only what was missing.
    expect(counted.length).toBe(10)
    expect(new Set(counted).size).toBe(10)
  }, 30_000)

  it('resumes after the receiver itself restarts (what arrived, and who may offer, is on disk, not in memory)', async () => {
    const dir = await tempDir('borg-dstream-restart-')
    const data = randomBytes(6 * 65536)
    const path = await fileOf(data, 'r.bin')
    const sender = await streamNode()
    // Incarnation 1 only manages chunks 0-2 (the rest fail), then "crashes": a fresh receiver on the same directory.
    const pulled: number[][] = [[], []]
    for (const incarnation of [0, 1]) {
      const receiver = await streamNode({ dir, members: () => [sender.member], pullTransport: (t) => pullsThrough(t, (i) => (incarnation === 0 && i > 2 ? 'fail' : 'pass'), pulled[incarnation]!) })
      if (incarnation === 0) await receiver.owner.control(STREAM_KIND.allow, { key: sender.node.id }) // kept in the node's home
      const send = sendFile({ path, to: receiver.node.endpoint, node: sender.owner, chunkSize: 65536, pollMs: 20 })
      if (incarnation === 0) await expect(send).rejects.toThrow(/gave up/)
      else expect(sha(await readFile((await send).path!))).toBe(sha(data))
    }
    expect(pulled[0]!.sort()).toEqual([0, 1, 2])
    expect(pulled[1]!.sort()).toEqual([3, 4, 5]) // only what the first incarnation lacked
  }, 30_000)

  it('refuses offers with hostile names, inconsistent sizes, bad endpoints or too many chunks', () => {
    const base = { streamId: 'a'.repeat(64), size: 10, chunkSize: 4096, chunks: ['b'.repeat(64)], endpoint: '127.0.0.1:1' }
    const offer = (extra: object) => ({ kind: 'stream.offer', body: new TextEncoder().encode(JSON.stringify({ ...base, ...extra })), bodyType: 1 }) as never
    expect(readOffer(offer({ name: 'ok.txt' })).name).toBe('ok.txt')
    for (const name of ['../../etc/passwd', '.bashrc', 'a/b', '..', 'x\ny']) expect(() => readOffer(offer({ name }))).toThrow(/name/)
    expect(() => readOffer(offer({ size: 5000 }))).toThrow(/chunk count/)
    for (const endpoint of ['no-port', 'http://127.0.0.1:1/', '127.0.0.1:0', '127.0.0.1:99999']) expect(() => readOffer(offer({ endpoint }))).toThrow(/endpoint/)
    const many = Array.from({ length: MAX_OFFER_CHUNKS + 1 }, () => 'c'.repeat(64))
    expect(() => readOffer(offer({ size: many.length * 4096, chunks: many }))).toThrow(/at most 65536/)
    const huge = { kind: 'stream.offer', body: new Uint8Array(MAX_OFFER_BYTES + 1), bodyType: 1 } as never
    expect(() => readOffer(huge)).toThrow(/at most/)
  })
})
