/**
 * Prints the worked examples of docs/protocol.md §9.5 (`shard.chunk.corrupt`,
 * and `shard.chunks.put`, a parts body),
 * with `npx tsx scripts/storage-protocol-example.ts`. Deterministic like
 * §2.6's: RFC 8032's first test key is the reader's node, its second the
 * holder's; fixed id and time. test/storage/corrupt-report-doc.test.ts checks
 * the document against this code.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { seal } from '../src/core/envelope/seal.js'
import { BodyType } from '../src/core/wire/message.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { SHARD_CODECS } from '../src/cells/shard/messages.js'
import { annotate, EXAMPLE_NODE_SECRET } from './protocol-example.js'

/** RFC 8032 §7.1 TEST 2 secret key: the holder. */
export const EXAMPLE_HOLDER_SECRET = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'
/** SHA-256 of 1 MiB of zero bytes: the chunk reported. */
export const EXAMPLE_CHUNK = '30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58'

export function corruptReportExample() {
  const reader = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_NODE_SECRET, 'hex')))
  const holder = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_HOLDER_SECRET, 'hex')))
  const body = new TextEncoder().encode(JSON.stringify({ hash: EXAMPLE_CHUNK }))
  const id = Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i)
  const sealed = seal(reader, { kind: 'shard.chunk.corrupt', to: { type: 'node', id: holder.keyId }, body, bodyType: BodyType.json }, { expectsReply: true, timestamp: 1_700_000_000_000, random: { bytes: () => id, float: () => 0, int: () => 0 } })
  return { reader, holder, body, sealed, hex: bytesToHex(sealed.headerBytes) + bytesToHex(sealed.body) }
}

/** The markdown of the example, as docs/protocol.md §9.5 shows it. */
export function corruptReportMarkdown(): string {
  const x = corruptReportExample()
  const block = (lines: string[]) => ['```', ...lines, '```'].join('\n')
  return [
    block([`reader node key id   ${bytesToHex(x.reader.keyId)}`, `holder node key id   ${bytesToHex(x.holder.keyId)}`, `chunk                ${EXAMPLE_CHUNK}`]),
    '',
    block(annotate(x.sealed.header, x.sealed.body)),
    '',
    '<!-- example-corrupt-report -->',
    block([x.hex.match(/.{1,64}/g)!.join('\n')]),
  ].join('\n')
}

/**
 * A `shard.chunks.put` (body type parts) from the same reader to the same
 * holder: two chunks, the 4 bytes "borg" and the 5 bytes "chunk", head `{}`.
 */
export function chunksPutExample() {
  const reader = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_NODE_SECRET, 'hex')))
  const holder = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_HOLDER_SECRET, 'hex')))
  const chunks = ['borg', 'chunk'].map((text) => new TextEncoder().encode(text))
  const parts = chunks.map((bytes) => ({ hash: bytesToHex(sha256(bytes)), bytes }))
  const message = { ...SHARD_CODECS.chunksPut.encode({ head: {}, parts }), to: { type: 'node' as const, id: holder.keyId } }
  const id = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i)
  const sealed = seal(reader, message, { expectsReply: true, timestamp: 1_700_000_000_000, random: { bytes: () => id, float: () => 0, int: () => 0 } })
  const hex = bytesToHex(sealed.headerBytes) + bytesToHex(sealed.body) + sealed.parts.map(bytesToHex).join('')
  return { reader, holder, parts, sealed, hex }
}

export function chunksPutMarkdown(): string {
  const x = chunksPutExample()
  const index = x.sealed.body
  const headLength = new DataView(index.buffer, index.byteOffset).getUint32(0)
  const rows: [string, string][] = [
    [bytesToHex(index.subarray(0, 4)), `head length ${headLength}`],
    [bytesToHex(index.subarray(4, 4 + headLength)), `head "${new TextDecoder().decode(index.subarray(4, 4 + headLength))}"`],
    [bytesToHex(index.subarray(4 + headLength, 8 + headLength)), `part count ${x.parts.length}`],
  ]
  x.parts.forEach((part, k) => {
    const at = 8 + headLength + 36 * k
    rows.push([bytesToHex(index.subarray(at, at + 32)), `part ${k} SHA-256`], [bytesToHex(index.subarray(at + 32, at + 36)), `part ${k} length ${part.bytes.length}`])
  })
  x.parts.forEach((part, k) => rows.push([bytesToHex(part.bytes), `part ${k} bytes "${new TextDecoder().decode(part.bytes)}"`]))
  const block = (lines: string[]) => ['```', ...lines, '```'].join('\n')
  return [
    block([`index SHA-256 (the body hash)  ${bytesToHex(sha256(index))}`]),
    '',
    block(annotate(x.sealed.header, index, rows)),
    '',
    '<!-- example-chunks-put -->',
    block([x.hex.match(/.{1,64}/g)!.join('\n')]),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(corruptReportMarkdown())
  console.log('')
  console.log(chunksPutMarkdown())
}
