import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { open } from '../../src/core/envelope/seal.js'
import { exampleMarkdown } from '../../scripts/protocol-example.js'
import { treeSignatureMarkdown } from '../../scripts/tree-signature-example.js'
import { TREE_SENDERS } from '../../src/core/tree/sender-rules.js'
import { linkExampleMarkdown, SHARED_SECRET } from '../../scripts/link-example.js'
import { relayExampleMarkdown } from '../../scripts/relay-example.js'
import { ledgerExampleMarkdown } from '../../scripts/ledger-example.js'
import { verifyByKeyId } from '../../src/core/crypto/key-id.js'
import { decodeBlock } from '../../src/core/ledger/block.js'
import { parseHeader } from '../../src/core/envelope/codec.js'
import { linkAuthenticator } from '../../src/core/net/link-keys.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

function documented(marker: 'example-ping' | 'example-pong' | 'example-link-open' | 'example-link-accept' | 'example-link-ping' | 'example-relay-reserve' | 'example-relay-reservation' | 'example-ledger-send' | 'example-ledger-spending-send' | 'example-ledger-vote'): string {
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\n([0-9a-f\\n]+)\`\`\``).exec(doc)
  if (!match) throw new Error(`docs/protocol.md lost its ${marker} block`)
  return match[1]!.replaceAll('\n', '')
}

describe('docs/protocol.md worked examples', () => {
  it('are exactly what the code produces for the documented inputs', async () => {
    expect(doc).toContain(await exampleMarkdown())
  })

  it('of tree signatures (§6.5) are exactly what the code produces', () => {
    expect(doc).toContain(`<!-- tree-signatures -->\n${treeSignatureMarkdown()}`)
  })

  it('verify with the borg decoder', () => {
    const ping = open(Buffer.from(documented('example-ping'), 'hex'))
    expect(ping.header.kind).toBe('wire.ping')
    expect(ping.header.sender[0]).toBe(0x01)
    const pong = open(Buffer.from(documented('example-pong'), 'hex'))
    expect(pong.header.kind).toBe('wire.pong')
    expect(pong.header.sender[0]).toBe(0xed)
    expect(pong.header.ref).toEqual(ping.header.id)
  })

  it('verify with the independent Python implementation written from the document', () => {
    if (spawnSync('python3', ['--version']).status !== 0) return // python3 is on the CI image; skipped only where absent
    for (const marker of ['example-ping', 'example-pong'] as const) {
      const run = spawnSync('python3', ['docs/examples/verify_envelope.py', documented(marker)], { encoding: 'utf8' })
      expect(run.stdout).toContain('signature   ok')
      expect(run.status).toBe(0)
      const tampered = documented(marker).replace(/7d$/, '7e')
      expect(spawnSync('python3', ['docs/examples/verify_envelope.py', tampered]).status).toBe(1)
    }
  })
})

describe('docs/protocol.md §4.5 link example', () => {
  const keyLine = (name: string) => new RegExp(`^${name} +([0-9a-f]+)$`, 'm').exec(doc)![1]!

  it('is exactly what the code produces for the documented inputs', async () => {
    expect(doc).toContain(await linkExampleMarkdown())
  })

  it('verifies with the borg code: signed opening and acceptance, the ping MAC under the opener key only', () => {
    const opening = open(Buffer.from(documented('example-link-open'), 'hex'))
    const acceptance = open(Buffer.from(documented('example-link-accept'), 'hex'))
    expect(acceptance.header.ref).toEqual(opening.header.id)
    const ping = parseHeader(Buffer.from(documented('example-link-ping'), 'hex'))
    if (ping.status !== 'ok') throw new Error('incomplete')
    expect(ping.header.linkMac).toBe(true)
    const openerKey = Buffer.from(keyLine('opener key'), 'hex')
    const acceptorKey = Buffer.from(keyLine('acceptor key'), 'hex')
    expect(() => linkAuthenticator(opening.header.sender, () => openerKey)(ping.header, ping.signedPart)).not.toThrow()
    expect(() => linkAuthenticator(opening.header.sender, () => acceptorKey)(ping.header, ping.signedPart)).toThrow()
  })

  it('verifies with the independent Python key schedule and envelope checker', () => {
    if (spawnSync('python3', ['--version']).status !== 0) return // python3 is on the CI image; skipped only where absent
    const schedule = spawnSync('python3', ['docs/examples/verify_link.py', documented('example-link-open'), documented('example-link-accept'), SHARED_SECRET], { encoding: 'utf8' })
    expect(schedule.status).toBe(0)
    for (const name of ['salt', 'opener key', 'acceptor key']) expect(schedule.stdout).toContain(`${name.padEnd(24)}${keyLine(name)}`)
    for (const marker of ['example-link-open', 'example-link-accept'] as const) {
      expect(spawnSync('python3', ['docs/examples/verify_envelope.py', documented(marker)], { encoding: 'utf8' }).stdout).toContain('signature   ok')
    }
    const ping = documented('example-link-ping')
    const withKey = (hex: string, key: string) => spawnSync('python3', ['docs/examples/verify_envelope.py', hex, '--link-key', key], { encoding: 'utf8' })
    expect(withKey(ping, keyLine('opener key')).stdout).toContain('signature   ok')
    expect(withKey(ping, keyLine('acceptor key')).status).toBe(1)
    expect(withKey(ping.replace(/7d$/, '7e'), keyLine('opener key')).status).toBe(1)
  })
})

describe('docs/protocol.md §4.6 relay example', () => {
  it('is exactly what the code produces for the documented inputs', async () => {
    expect(doc).toContain(await relayExampleMarkdown())
  })

  it('verifies with the borg decoder and the independent Python checker: the reservation answers the request', () => {
    const reserve = open(Buffer.from(documented('example-relay-reserve'), 'hex'))
    const reservation = open(Buffer.from(documented('example-relay-reservation'), 'hex'))
    expect(reserve.header.kind).toBe('relay.reserve')
    expect(reservation.header.ref).toEqual(reserve.header.id)
    expect(JSON.parse(Buffer.from(reservation.body).toString())).toMatchObject({ expiresAt: 1_700_007_200_001, limits: { maxMessageBytes: 16_777_216 } })
    if (spawnSync('python3', ['--version']).status !== 0) return // python3 is on the CI image; skipped only where absent
    for (const marker of ['example-relay-reserve', 'example-relay-reservation'] as const) {
      const run = spawnSync('python3', ['docs/examples/verify_envelope.py', documented(marker)], { encoding: 'utf8' })
      expect(run.stdout).toContain('signature   ok')
      expect(run.status).toBe(0)
    }
  })
})

describe('docs/protocol.md §11 ledger block example', () => {
  it('is exactly what the code produces, and decodes with its signature checked', async () => {
    expect(doc).toContain(await ledgerExampleMarkdown())
    const { block, id } = decodeBlock(Buffer.from(documented('example-ledger-send'), 'hex'))
    expect(block.op).toBe('send')
    expect(doc).toContain(`signed part SHA-256 = id    ${Buffer.from(id).toString('hex')}`)
  })

  it('the spending-key send decodes with its authorization checked; the batch vote recomputes from the bytes shown', async () => {
    const { block, id } = decodeBlock(Buffer.from(documented('example-ledger-spending-send'), 'hex'))
    expect(block.spending?.key[0]).toBe(0xed)
    const statement = Buffer.from(documented('example-ledger-vote'), 'hex')
    expect(statement.subarray(statement.length - 32).equals(Buffer.from(id))).toBe(true)
    const after = doc.slice(doc.indexOf('example-ledger-vote'))
    const line = (name: string) => Buffer.from(new RegExp(`${name}\\s+([0-9a-f]+)`).exec(after)![1]!, 'hex')
    // By hand from §11.1: leaf, root over the two leaves, the signed message, the signature under the key id the vote carries.
    const leaf = createHash('sha256').update(Buffer.concat([Buffer.of(0), statement])).digest()
    expect(leaf.equals(line('statement\\)'))).toBe(true)
    const root = createHash('sha256').update(Buffer.concat([Buffer.of(1), leaf, line('\\(the path\\)')])).digest()
    const message = Buffer.concat([Buffer.from('BSHB'), Buffer.of(2, 0, 2), root])
    expect(message.equals(line('signed message'))).toBe(true)
    const vote = Buffer.from(/carries it[^`]*```\n([0-9a-f\n]+)```/.exec(after)![1]!.replace(/\n/g, ''), 'hex')
    const key = vote.subarray(0, 33)
    expect(vote.subarray(33, 37).equals(Buffer.of(0, 2, 0, 0))).toBe(true)
    expect(vote.subarray(37, 69).equals(line('\\(the path\\)'))).toBe(true)
    expect(verifyByKeyId(key, vote.subarray(69), message)).toBe(true)
    expect(vote.length).toBe(69 + 64)
  })
})

describe('docs/protocol.md §6.4 states the sender rule of every tree kind as the code does', () => {
  it.each(Object.entries(TREE_SENDERS))('%s', (kind, who) => {
    expect(doc).toContain(`| \`${kind}\` | ${who} |`)
  })
})
