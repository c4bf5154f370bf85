/**
 * A node takes a stream only with its owner's consent: its own key, the
 * identity in its home, the allow-list, or an offer the owner accepts. Over
 * real HTTPS in one process (ports chosen by the OS, 127.0.0.1 only).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '../../src/core/bytes.js'
import { BorgError } from '../../src/core/errors.js'
import { createIdentity, unlockIdentity } from '../../src/core/identity/identity.js'
import { KDF_FAST_INSECURE } from '../../src/core/identity/keystore.js'
import { identitySigner } from '../../src/core/identity/signer.js'
import { silentLogger } from '../../src/core/log.js'
import { HttpsTransport } from '../../src/core/net/https-transport.js'
import { AllowList } from '../../src/core/stream/consent.js'
import { STREAM_KIND, offerBody, termsBody, type StreamProgress } from '../../src/core/stream/messages.js'
import { ownerIdentity } from '../../src/core/stream/owner-identity.js'
import { PendingOffers } from '../../src/core/stream/pending.js'
import { hashFile } from '../../src/core/stream/sender.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { jsonMessage, readJson } from '../helpers/json-messages.js'
import { request } from '../../src/core/messaging/requests.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { fakeInput } from '../identity/fake-input.js'
import { manualClock, testSigner } from '../helpers/keys.js'
import { startClient } from '../helpers/wire.js'
import { closeAll, streamNode, tempDir, type StreamNode } from './harness.js'

afterAll(closeAll)

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function fileOf(bytes: Uint8Array): Promise<string> {
  const path = join(await tempDir('borg-consent-src-'), 'f.bin')
  await writeFile(path, bytes)
  return path
}

/** `borg stream send` as the sending node's owner runs it: the node offers and serves. */
async function sendVia(sender: StreamNode, path: string, to: StreamNode) {
  const terms = await hashFile(path, 65536)
  return { terms, reply: await sender.owner.control<StreamProgress & { receiver: string }>(STREAM_KIND.send, { ...termsBody(terms), path, to: to.node.endpoint }) }
}

async function until(asker: Transport, node: StreamNode, streamId: string, done: (p: StreamProgress) => boolean): Promise<StreamProgress> {
  for (let i = 0; i < 200; i++) {
    const p = readJson<StreamProgress>(await request(asker, { endpoint: node.node.endpoint }, jsonMessage(STREAM_KIND.status, { streamId })))
    if (done(p)) return p
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('the stream never got there')
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: BorgError) => e.code)

describe('stream consent', () => {
  it("holds a stranger's offer, unpulled, until the owner accepts it; then pulls it from the sending node", async () => {
    const sender = await streamNode()
    const receiver = await streamNode({ members: () => [sender.member] })
    const data = randomBytes(3 * 65536 + 5)
    const path = await fileOf(data)
    const { terms, reply } = await sendVia(sender, path, receiver)
    expect(reply).toMatchObject({ status: 'pending', done: false, receiver: receiver.node.id })
    await new Promise((r) => setTimeout(r, 200))
    expect(sender.sources.counters.pullsServed).toBe(0)
    // The owner sees it, with who offered it.
    const listed = await receiver.owner.control<{ pending: { id: string; sender: string; size: number; name: string }[] }>(STREAM_KIND.pending, {})
    expect(listed.pending).toEqual([expect.objectContaining({ id: reply.offerId, sender: sender.node.id, size: data.length, name: 'f.bin' })])
    // The sender may follow it; nobody else learns it exists.
    expect((await until(sender.owner.transport, receiver, terms.streamId, () => true)).status).toBe('pending')
    const nosy = startClient().transport
    expect(await code(request(nosy, { endpoint: receiver.node.endpoint }, jsonMessage(STREAM_KIND.status, { streamId: terms.streamId })))).toBe('not-found')
    await nosy.close()
    const accepted = await receiver.owner.control<StreamProgress>(STREAM_KIND.accept, { id: reply.offerId })
    expect(accepted.status).toBe('pulling')
    const done = await until(sender.owner.transport, receiver, terms.streamId, (p) => p.done)
    expect(sha(await readFile(done.path!))).toBe(sha(data))
    expect(receiver.pending.count).toBe(0)
    // Offering the same stream again needs no second consent: it is already here.
    expect((await sendVia(sender, path, receiver)).reply.status).toBe('done')
  }, 30_000)

  it("takes the owner identity's and allowed keys' offers; deny takes a key off and drops its pending offers", async () => {
    const home = await tempDir('borg-consent-home-')
    await createIdentity({ home, input: fakeInput(), env: { BORG_PASSPHRASE: 'pw' }, kdf: KDF_FAST_INSECURE })
    const identity = identitySigner((await unlockIdentity(home, 'pw')).key)
    const identityId = bytesToHex(identity.keyId)
    expect(await ownerIdentity(home, new SystemClock())()).toBe(identityId)

    const receiver = await streamNode({ ownerIdentity: identityId, members: () => [receiver.member] })
    const offerFrom = async (t: Transport) => {
      const terms = await hashFile(await fileOf(randomBytes(5000)), 4096)
      return readJson<StreamProgress>(await request(t, { endpoint: receiver.node.endpoint }, jsonMessage(STREAM_KIND.offer, offerBody({ ...terms, endpoint: receiver.node.endpoint }))))
    }
    const asIdentity = new HttpsTransport({ signer: identity, log: silentLogger })
    const stranger = startClient()
    try {
      expect((await offerFrom(asIdentity)).status).not.toBe('pending') // admitted (the pull itself fails: nobody serves it)
      expect((await offerFrom(stranger.transport)).status).toBe('pending')
      expect((await offerFrom(stranger.transport)).status).toBe('pending')
      const denied = await receiver.owner.control<{ removed: boolean; pendingDropped: number }>(STREAM_KIND.deny, { key: stranger.id })
      expect(denied).toEqual({ key: stranger.id, removed: false, pendingDropped: 2 })
      expect(await receiver.owner.control(STREAM_KIND.allow, { key: stranger.id })).toEqual({ key: stranger.id, added: true })
      expect((await offerFrom(stranger.transport)).status).not.toBe('pending')
      // The allow-list is in the node's home, written whole: a restart reads it back.
      const reread = new AllowList(receiver.dir, silentLogger)
      await reread.open()
      expect(reread.has(stranger.id)).toBe(true)
      expect(await receiver.owner.control(STREAM_KIND.deny, { key: stranger.id })).toMatchObject({ removed: true })
      expect((await offerFrom(stranger.transport)).status).toBe('pending')
      expect(await code(receiver.owner.control(STREAM_KIND.allow, { key: 'ed' + '0'.repeat(10) }))).toBe('usage')
    } finally {
      await asIdentity.close()
      await stranger.transport.close()
    }
  }, 30_000)

  it("accepts control kinds only from the node's own key", async () => {
    const receiver = await streamNode()
    const stranger = startClient()
    for (const kind of [STREAM_KIND.send, STREAM_KIND.allow, STREAM_KIND.deny, STREAM_KIND.pending, STREAM_KIND.accept]) {
      expect(await code(request(stranger.transport, { endpoint: receiver.node.endpoint }, jsonMessage(kind, { key: stranger.id, id: '0'.repeat(16) })))).toBe('refused')
    }
    expect(receiver.allowed.list()).toEqual([])
    await stranger.transport.close()
  })

  it('keeps pending offers bounded (in all and per key) and lets them lapse after their time', async () => {
    const clock = manualClock()
    const pending = new PendingOffers(clock, { max: 3, perSender: 2, ttlMs: 60_000 })
    const offer = () => ({ streamId: bytesToHex(randomBytes(32)), size: 1, chunkSize: 4096, count: 1, hashes: new Uint8Array(32), endpoint: '127.0.0.1:1' })
    const first = pending.hold(offer(), 'ed01')
    expect(pending.hold(first.offer, 'ed01')).toBe(first) // the same offer again: the same entry, no longer life
    pending.hold(offer(), 'ed01')
    expect(() => pending.hold(offer(), 'ed01')).toThrow(/from this key/)
    pending.hold(offer(), 'ed02')
    expect(() => pending.hold(offer(), 'ed03')).toThrow(/already holds 3 offers/)
    clock.advance(59_999)
    expect(pending.get(first.id)).toBeDefined()
    clock.advance(1)
    expect(pending.get(first.id)).toBeUndefined()
    expect(pending.count).toBe(0)
    pending.hold(offer(), 'ed03') // room again
  })

  it('starts with an empty allow-list when its file is unreadable, and keeps at most its budget of keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-allow-'))
    try {
      await writeFile(join(dir, 'allow.json'), '{"keys": [trunc')
      const list = new AllowList(dir, silentLogger)
      await list.open()
      expect(list.list()).toEqual([])
      const key = bytesToHex(testSigner().keyId)
      expect(await list.add(key)).toBe(true)
      expect(await list.add(key)).toBe(false)
      expect(JSON.parse(await readFile(join(dir, 'allow.json'), 'utf8'))).toEqual({ keys: [key] })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
