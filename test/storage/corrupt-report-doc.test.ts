/**
 * docs/protocol.md §9.5's worked `shard.chunk.corrupt` example is what the
 * code seals for the documented inputs, and opens as the documented body.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { open } from '../../src/core/envelope/seal.js'
import { SHARD_CODECS, SHARD_KIND } from '../../src/cells/shard/messages.js'
import { BodyType } from '../../src/core/wire/message.js'
import { chunksPutMarkdown, corruptReportMarkdown, EXAMPLE_CHUNK } from '../../scripts/storage-protocol-example.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

function documented(): string {
  const match = /<!-- example-corrupt-report -->\s*```\n([0-9a-f\n]+)```/.exec(doc)
  if (!match) throw new Error('docs/protocol.md lost its example-corrupt-report block')
  return match[1]!.replaceAll('\n', '')
}

describe('docs/protocol.md §9.5 corruption report example', () => {
  it('is exactly what the code produces for the documented inputs', () => {
    expect(doc).toContain(corruptReportMarkdown())
  })

  it('opens as the kind and the 75-byte body the text describes', () => {
    const envelope = open(Buffer.from(documented(), 'hex'))
    expect(envelope.header.kind).toBe(SHARD_KIND.chunkCorrupt)
    expect(envelope.header.expectsReply).toBe(true)
    expect(Buffer.from(envelope.body).toString()).toBe(`{"hash":"${EXAMPLE_CHUNK}"}`)
    expect(envelope.body.length).toBe(75)
  })

  it('verifies with the independent Python implementation written from the document', () => {
    if (spawnSync('python3', ['--version']).status !== 0) return // python3 is on the CI image; skipped only where absent
    const run = spawnSync('python3', ['docs/examples/verify_envelope.py', documented()], { encoding: 'utf8' })
    expect(run.stdout).toContain('signature   ok')
    expect(run.status).toBe(0)
  })
})

describe('docs/protocol.md §2.7 parts body example (shard.chunks.put)', () => {
  const block = () => {
    const match = /<!-- example-chunks-put -->\s*```\n([0-9a-f\n]+)```/.exec(doc)
    if (!match) throw new Error('docs/protocol.md lost its example-chunks-put block')
    return match[1]!.replaceAll('\n', '')
  }

  it('is exactly what the code produces for the documented inputs', () => {
    expect(doc).toContain(chunksPutMarkdown())
  })

  it('opens as two parts named by their SHA-256, and the codec reads them back', () => {
    const bytes = Buffer.from(block(), 'hex')
    const envelope = open(bytes)
    expect(envelope.header.kind).toBe(SHARD_KIND.chunksPut)
    expect(envelope.header.bodyType).toBe(BodyType.parts)
    const { head, parts } = SHARD_CODECS.chunksPut.decode({ kind: envelope.header.kind, body: envelope.body, bodyType: envelope.header.bodyType })
    expect(head).toEqual({})
    expect(parts.map((p) => Buffer.from(p.bytes).toString())).toEqual(['borg', 'chunk'])
    // One flipped byte in a part: refused.
    bytes[bytes.length - 1] ^= 1
    expect(() => open(bytes)).toThrow(/part 1/)
  })

  it('verifies, parts included, with the independent Python implementation written from the document', () => {
    if (spawnSync('python3', ['--version']).status !== 0) return
    const run = spawnSync('python3', ['docs/examples/verify_envelope.py', block()], { encoding: 'utf8' })
    expect(run.stdout).toContain('part 1      5 bytes')
    expect(run.stdout).toContain('body hash   ok')
    expect(run.stdout).toContain('signature   ok')
    expect(run.status).toBe(0)
  })
})
