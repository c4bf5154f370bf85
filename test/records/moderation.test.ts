/**
 * Moderation by followed keys and content checks (records-service.ts,
 * moderation.ts): a followed moderator's block-list removes an author's
 * records and keeps them and a blocked id out, also in a collection opened
 * after the block-list arrived and after a restart; a stranger's block-list
 * is refused; a collection's content check refuses what it names.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, utf8 } from '../../src/core/bytes.js'
import { silentLogger } from '../../src/core/log.js'
import { SystemClock } from '../../src/core/time/system-clock.js'
import { cryptoRandom } from '../../src/core/crypto/random.js'
import { policy } from '../../src/core/records/collection.js'
import { signRecord } from '../../src/core/records/record.js'
import { RecordsService } from '../../src/core/records/records-service.js'
import { MODERATION } from '../../src/core/records/moderation.js'
import type { Transport } from '../../src/core/wire/transport.js'
import { testSigner } from '../helpers/keys.js'

const moderator = testSigner('ed25519')
const stranger = testSigner('ed25519')
const spammer = testSigner('ed25519')
const writer = testSigner('ed25519')
const dirs: string[] = []
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))))

const now = () => Math.floor(Date.now() / 1000)
const note = (author: typeof writer, collection: string, content: unknown) =>
  signRecord({ kind: 'record', collection, author: author.keyId, created: now(), expires: 0, contentType: 'json', content: utf8.encode(JSON.stringify(content)) }, author)

async function service(dir: string): Promise<RecordsService> {
  const s = new RecordsService({ dir, nodeId: 'ed' + '00'.repeat(32), clock: new SystemClock(), random: cryptoRandom, transport: {} as Transport, log: silentLogger, neighbours: () => [], moderators: [bytesToHex(moderator.keyId)] })
  await s.openModeration()
  return s
}

describe('moderation by followed keys', () => {
  it('blocks authors and ids where the moderator says, now, for collections opened later, and after a restart; a stranger’s list is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-moderation-'))
    dirs.push(dir)
    const s = await service(dir)
    const notes = await s.open(policy('notes'))
    const spam = note(spammer, 'notes', { buy: 'now' })
    const fine = note(writer, 'notes', { hello: 1 })
    const later = note(writer, 'notes', { hello: 2 })
    await notes.put([spam.bytes, fine.bytes], now())
    expect(notes.set.size).toBe(2)
    const moderation = s.collection(MODERATION)!
    const [refused] = await moderation.put([note(stranger, MODERATION, { collection: 'notes', blockAuthors: [bytesToHex(writer.keyId)] }).bytes], now())
    expect(refused).toBeInstanceOf(Error)
    await moderation.put([note(moderator, MODERATION, { collection: 'notes', blockAuthors: [bytesToHex(spammer.keyId)], blockIds: [bytesToHex(later.id)] }).bytes, note(moderator, MODERATION, { collection: 'photos', blockAuthors: [bytesToHex(writer.keyId)] }).bytes], now())
    expect(notes.set.has(bytesToHex(spam.id))).toBe(false)
    expect(notes.set.has(bytesToHex(fine.id))).toBe(true)
    const [again, blockedId] = await notes.put([note(spammer, 'notes', { buy: 'again' }).bytes, later.bytes], now())
    expect([again, blockedId].map((r) => (r as Error).message)).toEqual([expect.stringMatching(/blocked by a moderator/), expect.stringMatching(/blocked by a moderator/)])
    // A collection opened after the block-list arrived gets it too.
    const photos = await s.open(policy('photos'))
    expect((await photos.put([note(writer, 'photos', { cat: true }).bytes], now()))[0]).toBeInstanceOf(Error)
    await s.close()
    // After a restart the blocks come back from the moderation log before anything else opens.
    const t = await service(dir)
    const reopened = await t.open(policy('notes'))
    expect((await reopened.put([note(spammer, 'notes', { buy: 'a third time' }).bytes], now()))[0]).toBeInstanceOf(Error)
    await t.close()
  })

  it('a collection’s content check refuses what it names, before storage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'borg-moderation-'))
    dirs.push(dir)
    const s = await service(dir)
    const clean = await s.open(policy('clean', { check: (r) => (utf8.decode(r.content).includes('spam') ? 'content filter: spam' : undefined) }))
    const [bad, good] = await clean.put([note(writer, 'clean', { text: 'spam spam' }).bytes, note(writer, 'clean', { text: 'ham' }).bytes], now())
    expect((bad as Error).message).toMatch(/content filter: spam/)
    expect(good).not.toBeInstanceOf(Error)
    expect(clean.set.size).toBe(1)
    await s.close()
  })
})
