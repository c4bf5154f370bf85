/**
 * Prints the worked example of docs/protocol.md §6.5 (run with
 * `npx tsx scripts/tree-signature-example.ts`): a broadcast's origin
 * signature, a deputy certificate and a term certificate, signed with
 * RFC 8032's first test key; deterministic (Ed25519 signatures are).
 * test/docs/protocol.test.ts checks the document against this code.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { signerNotary } from '../src/core/envelope/notary.js'
import { broadcastSignedBytes, deputySignedBytes, termSignedBytes } from '../src/core/tree/origin.js'
import { BodyType } from '../src/core/wire/message.js'
import { EXAMPLE_NODE_SECRET } from './protocol-example.js'

export function treeSignatureMarkdown(): string {
  const node = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_NODE_SECRET, 'hex')))
  const notary = signerNotary(node)
  const origin = bytesToHex(node.keyId)
  const treeId = '00112233445566778899aabbccddeeff'
  const other = 'ed' + '77'.repeat(32)
  const broadcast = { bid: `${origin.slice(0, 16)}:0001020304050607`, origin, kind: 'node.note', bodyType: BodyType.json, at: 1_700_000_000_000, body: Buffer.from('{"text":"hi"}').toString('base64') }
  const rows: [string, Uint8Array][] = [
    ['broadcast origin', broadcastSignedBytes(broadcast)],
    ['deputy certificate (this node makes `other` its deputy in term 3)', deputySignedBytes(treeId, 3, other)],
    ['term certificate (`other` is root from term 4 on)', termSignedBytes(treeId, 4, other)],
  ]
  const lines = [`signer key id  ${origin}`, `tree id        ${treeId}`, `other node id  ${other}`, `broadcast      ${JSON.stringify(broadcast)}`, '']
  for (const [what, bytes] of rows) {
    lines.push(`${what}:`)
    lines.push(`  signed bytes (UTF-8, ␀ = 0x00)  ${Buffer.from(bytes).toString('utf8').replaceAll('\0', '␀')}`)
    lines.push(`  signed bytes (hex)  ${bytesToHex(bytes)}`)
    lines.push(`  signature (base64)  ${Buffer.from(notary.sign(bytes)).toString('base64')}`)
  }
  return '```\n' + lines.join('\n') + '\n```'
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(treeSignatureMarkdown())
