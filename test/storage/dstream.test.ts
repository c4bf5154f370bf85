/**
 * DStream over real HTTPS in one process: a receiver pulls an offered file in
 * a window, rejects a chunk that does not match its announced hash and asks
 * again, resumes after an interrupted transfer without pulling again what it
 * has, and refuses hostile names.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamReceiver } from '../../src/core/stream/receiver.js'
import { sendFile } from '../../src/core/stream/sender.js'
import { STREAM_KIND, readOffer } from '../../src/core/stream/messages.js'
import { jsonMessage, readJson } from '../../src/core/wire/message.js'
import { generateTlsMaterial } from '../../src/core/net/cert.js'
import { silentLogger } from '../../src/core/log.js'
import { startNode } from '../helpers/wire.js'
import { testSigner } from '../helpers/keys.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import type { Transport } from '../../src/core/wire/transport.js'

const dirs: string[] = []
const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of closers) await c().catch(() => {})
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** A receiving node: its transport, with the offer/status handlers the stream organ installs. */
async function receivingNode(transportFor?: (t: Transport) => Transport) {
  const dir = await mkdtemp(join(tmpdir(), 'borg-dstream-'))
  dirs.push(dir)
  const node = await startNode()
  closers.push(() => node.transport.close())
  const receiver = new StreamReceiver({ dir, transport: transportFor ? transportFor(node.transport) : node.transport, log: silentLogger, timeoutMs: 3000, attempts: 3 })
  node.transport.onMessage((m, r) => {
    if (m.kind === STREAM_KIND.offer) return void receiver.accept(readOffer(m), m.fromHex).then((p) => r!.reply(jsonMessage('stream.offer.reply', p)), (e: Error) => r!.fail('internal', e.message))
    if (m.kind === STREAM_KIND.status) {
      const p = receiver.status(readJson<{ streamId: string }>(m).streamId)
      return p ? r!.reply(jsonMessage('stream.status.reply', p)) : r!.fail('not-found', 'none')
    }
  })
  return { node, receiver, dir }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('DStream', () => {
  it('sends a file that the receiver pulls, checks and keeps', async () => {
    const { node } = await receivingNode()
    const data = randomBytes(5 * 65536 + 123)
    const work = await mkdtemp(join(tmpdir(), 'borg-dstream-src-'))
    dirs.push(work)
    await writeFile(join(work, 'clip.bin'), data)
    const progress: number[] = []
    const result = await sendFile({ path: join(work, 'clip.bin'), to: { endpoint: node.endpoint }, signer: testSigner(), tls: await generateTlsMaterial('s'), advertiseHost: '127.0.0.1', chunkSize: 65536, pollMs: 20, onProgress: (r) => progress.push(r) })
    expect(result.done).toBe(true)
    expect(result.streamId).toBe(sha(data))
    expect(sha(await readFile(result.path!))).toBe(sha(data))
    expect(result.path!.endsWith('-clip.bin')).toBe(true)
    expect(progress.at(-1)).toBe(data.length)
  }, 30_000)

  it('asks again for a chunk that arrives corrupted, and resumes after an interruption without pulling twice', async () => {
    // The receiver's transport sees pulls: the first pull of chunk 2 gets a tampered body, and while
    // `failing` every pull of chunks 6 and up fails (the sender "went away" part way).
    let pulls = 0
    let failing = true
    let tampered = false
    const counted: number[] = []
    const { node } = await receivingNode((t) => ({
      localId: t.localId,
      onMessage: (h) => t.onMessage(h),
      send(peer, message, options) {
        if (message.kind !== STREAM_KIND.pull) return t.send(peer, message, options)
        const { index } = readJson<{ index: number }>({ ...message, body: message.body!, bodyType: message.bodyType!, kind: message.kind } as never)
        pulls++
        if (failing && index >= 6) return options?.onResult?.(Object.assign(new Error('gone'), { code: 'unavailable' }) as never)
        t.send(peer, message, {
          ...options,
          onResult: (error, reply) => {
            if (!error && reply && index === 2 && !tampered) {
              tampered = true
              const body = Uint8Array.from(reply.body)
              body[0]! ^= 1
              return options?.onResult?.(null, { ...reply, body, bodyHash: undefined })
            }
            if (!error) counted.push(index)
            options?.onResult?.(error, reply)
          },
        })
      },
    }))
    const data = randomBytes(10 * 65536)
    const work = await mkdtemp(join(tmpdir(), 'borg-dstream-src-'))
    dirs.push(work)
    await writeFile(join(work, 'big.bin'), data)
    const send = () => sendFile({ path: join(work, "big.bin"), to: { endpoint: node.endpoint }, signer: testSigner(), tls: tlsMaterial, advertiseHost: "127.0.0.1", chunkSize: 65536, pollMs: 20 })
    const tlsMaterial = await generateTlsMaterial('s')
    await expect(send()).rejects.toThrow(/gave up/)
    expect(tampered).toBe(true)
    // Chunks 0-5 arrived except the tampered 2 (asked again, but the give-up came first).
    expect([...counted].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5])
    failing = false // the sender is back
    const result = await send()
    expect(sha(await readFile(result.path!))).toBe(sha(data))
    // Resumed: the second transfer pulled only what was missing.
    expect(counted.length).toBe(10)
    expect(new Set(counted).size).toBe(10)
    void pulls
  }, 30_000)

  it('resumes after the receiver itself restarts (what arrived is on disk, not in memory)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-dstream-restart-'))
    dirs.push(dir)
    const data = randomBytes(6 * 65536)
    const work = await mkdtemp(join(tmpdir(), 'borg-dstream-src-'))
    dirs.push(work)
    await writeFile(join(work, 'r.bin'), data)
    const tls = await generateTlsMaterial('s')
    const signer = testSigner()
    // Incarnation 1 only manages chunks 0-2 (the rest fail), then "crashes": a fresh receiver on the same directory.
    const pulled: number[][] = [[], []]
    for (const incarnation of [0, 1]) {
      const node = await startNode()
      closers.push(() => node.transport.close())
      const wrapped: Transport = {
        localId: node.transport.localId,
        onMessage: (h) => node.transport.onMessage(h),
        send(peer, message, options) {
          if (message.kind !== STREAM_KIND.pull) return node.transport.send(peer, message, options)
          const { index } = JSON.parse(new TextDecoder().decode(message.body!)) as { index: number }
          if (incarnation === 0 && index > 2) return options?.onResult?.(Object.assign(new Error('gone'), { code: 'unavailable' }) as never)
          pulled[incarnation]!.push(index)
          node.transport.send(peer, message, options)
        },
      }
      const receiver = new StreamReceiver({ dir, transport: wrapped, log: silentLogger, timeoutMs: 3000, attempts: 2 })
      node.transport.onMessage((m, r) => {
        if (m.kind === STREAM_KIND.offer) return void receiver.accept(readOffer(m), m.fromHex).then((p) => r!.reply(jsonMessage('stream.offer.reply', p)))
        const p = receiver.status(readJson<{ streamId: string }>(m).streamId)
        return p ? r!.reply(jsonMessage('stream.status.reply', p)) : r!.fail('not-found', 'none')
      })
      const send = sendFile({ path: join(work, 'r.bin'), to: { endpoint: node.endpoint }, signer, tls, advertiseHost: '127.0.0.1', chunkSize: 65536, pollMs: 20 })
      if (incarnation === 0) await expect(send).rejects.toThrow(/gave up/)
      else expect(sha(await readFile((await send).path!))).toBe(sha(data))
      await new Promise((r) => setTimeout(r, 600)) // the state file is written at most every 0.5 s
    }
    expect(pulled[0]!.sort()).toEqual([0, 1, 2])
    expect(pulled[1]!.sort()).toEqual([3, 4, 5]) // only what the first incarnation lacked
  }, 30_000)

  it('refuses offers with hostile names or inconsistent sizes', () => {
    const base = { streamId: 'a'.repeat(64), size: 10, chunkSize: 4096, chunks: ['b'.repeat(64)], endpoint: '127.0.0.1:1' }
    const offer = (extra: object) => ({ kind: 'stream.offer', body: new TextEncoder().encode(JSON.stringify({ ...base, ...extra })), bodyType: 1 }) as never
    expect(readOffer(offer({ name: 'ok.txt' })).name).toBe('ok.txt')
    for (const name of ['../../etc/passwd', '.bashrc', 'a/b', '..', 'x\ny']) expect(() => readOffer(offer({ name }))).toThrow(/name/)
    expect(() => readOffer(offer({ size: 5000 }))).toThrow(/chunk count/)
    void HttpsTransport
  })
})
