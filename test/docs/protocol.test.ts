import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { bytesToHex } from '../../src/core/bytes.js'
import { open } from '../../src/core/envelope/seal.js'
import { buildExample } from '../../scripts/protocol-example.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')

function documentedMessage(): string {
  const match = /<!-- example-message -->\s*```\n([0-9a-f\n]+)```/.exec(doc)
  if (!match) throw new Error('docs/protocol.md lost its example-message block')
  return match[1]!.replaceAll('\n', '')
}

describe('docs/protocol.md worked example', () => {
  it('is exactly what the code produces for the documented inputs', async () => {
    const x = await buildExample()
    expect(documentedMessage()).toBe(bytesToHex(x.sealed.headerBytes) + bytesToHex(x.body))
    for (const value of [x.senderKey.secretKey, x.senderKey.publicKey, x.recipientKey.publicKey, x.sealed.header.bodyHash, x.digest, x.signature]) {
      expect(doc).toContain(bytesToHex(value))
    }
    expect(doc).toContain(x.senderKey.address)
  })

  it('verifies with the borg decoder', () => {
    const { header, body } = open(Buffer.from(documentedMessage(), 'hex'))
    expect(header.kind).toBe('wire.ping')
    expect(header.timestamp).toBe(1_700_000_000_000)
    expect(new TextDecoder().decode(body)).toBe('{"seq":1}')
  })

  it('verifies with the independent Python implementation written from the document', () => {
    const python = spawnSync('python3', ['--version'])
    if (python.status !== 0) return // python3 is part of the CI machine image; skip only where it is absent
    const run = spawnSync('python3', ['docs/examples/verify_envelope.py', documentedMessage()], { encoding: 'utf8' })
    expect(run.stdout).toContain('signature   ok')
    expect(run.status).toBe(0)
    const tampered = documentedMessage().replace(/7d$/, '7e')
    expect(spawnSync('python3', ['docs/examples/verify_envelope.py', tampered]).status).toBe(1)
  })
})
