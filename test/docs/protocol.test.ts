import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { open } from '../../src/core/envelope/seal.js'
import { exampleMarkdown } from '../../scripts/protocol-example.js'
import { treeSignatureMarkdown } from '../../scripts/tree-signature-example.js'
import { TREE_SENDERS } from '../../src/core/tree/sender-rules.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

function documented(marker: 'example-ping' | 'example-pong'): string {
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

describe('docs/protocol.md §6.4 states the sender rule of every tree kind as the code does', () => {
  it.each(Object.entries(TREE_SENDERS))('%s', (kind, who) => {
    expect(doc).toContain(`| \`${kind}\` | ${who} |`)
  })
})
