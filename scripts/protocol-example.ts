/**
 * Prints the worked examples of docs/protocol.md §2.6 (run with
 * `npx tsx scripts/protocol-example.ts`). Everything is deterministic: fixed
 * keys (the public BIP39 test mnemonic for the identity, RFC 8032's first test
 * key for the node), fixed ids and times, RFC 6979 / RFC 8032 signatures.
 * test/docs/protocol.test.ts checks the document against this code.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { deriveIdentityKey } from '../src/core/identity/derive.js'
import { mnemonicToSeed } from '../src/core/identity/mnemonic.js'
import { ed25519Signer, signerFromSecretKey } from '../src/core/identity/signer.js'
import { encodeSignedPart, type EnvelopeHeader } from '../src/core/envelope/codec.js'
import { seal, type EnvelopeSigner } from '../src/core/envelope/seal.js'
import { BodyType, type Outgoing } from '../src/core/wire/message.js'

export const EXAMPLE_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'
/** RFC 8032 §7.1 TEST 1 secret key. */
export const EXAMPLE_NODE_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'

function fixedId(first: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => first + i)
}

function build(signer: EnvelopeSigner, message: Outgoing, options: { id: Uint8Array; ref?: Uint8Array; timestamp: number; expectsReply: boolean }) {
  const sealed = seal(signer, message, { ...options, random: { bytes: () => options.id, float: () => 0, int: () => 0 } })
  const { signature, ...unsigned } = sealed.header
  const signedPart = encodeSignedPart(unsigned)
  return { sealed, signedPart, digest: sha256(signedPart), signature, bytes: bytesToHex(sealed.headerBytes) + bytesToHex(sealed.body) }
}

export async function buildExamples() {
  const identityKey = deriveIdentityKey(await mnemonicToSeed(EXAMPLE_MNEMONIC), "m/44'/3'/0'/0/0")
  const identity = signerFromSecretKey(identityKey.secretKey)
  const node = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_NODE_SECRET, 'hex')))
  const ping = build(
    identity,
    { kind: 'wire.ping', to: { type: 'node', id: node.keyId }, body: new TextEncoder().encode('{"seq":1}'), bodyType: BodyType.json },
    { id: fixedId(0x00), timestamp: 1_700_000_000_000, expectsReply: true },
  )
  const pongBody = JSON.stringify({ from: bytesToHex(identity.keyId), time: 1_700_000_000_004, version: '0.1.0' })
  const pong = build(
    node,
    { kind: 'wire.pong', to: { type: 'node', id: identity.keyId }, body: new TextEncoder().encode(pongBody), bodyType: BodyType.json },
    { id: fixedId(0x10), ref: fixedId(0x00), timestamp: 1_700_000_000_004, expectsReply: false },
  )
  return { identityKey, identity, node, ping, pong, pongBody }
}

/** The field-by-field dump used in the document. */
export function annotate(header: EnvelopeHeader, body: Uint8Array, bodyRows?: [string, string][]): string[] {
  const hex = bytesToHex
  const kind = new TextEncoder().encode(header.kind)
  const ts = Buffer.alloc(8)
  ts.writeBigUInt64BE(BigInt(header.timestamp))
  const len = Buffer.alloc(8)
  len.writeBigUInt64BE(BigInt(header.bodyLength))
  const alg = (id: Uint8Array) => (id[0] === 0x01 ? 'secp256k1' : 'Ed25519')
  const rows: [string, string][] = [
    ['424f5247', 'magic "BORG"'],
    ['01', 'version 1'],
    [header.expectsReply ? '01' : '00', header.expectsReply ? 'flags: reply expected' : 'flags: none'],
    [`0${header.bodyType}`, `body type: ${header.bodyType === BodyType.json ? 'JSON' : header.bodyType === BodyType.parts ? 'parts' : 'binary'}`],
    [hex(Uint8Array.of(kind.length)), `kind length ${kind.length}`],
    [hex(kind), `kind "${header.kind}"`],
    [hex(header.sender.subarray(0, 1)), `sender key algorithm: ${alg(header.sender)}`],
    [hex(header.sender.subarray(1)), 'sender public key'],
  ]
  if (header.to.type === 'node') {
    rows.push(['01', 'target type: node'], [hex(header.to.id.subarray(0, 1)), `target key algorithm: ${alg(header.to.id)}`], [hex(header.to.id.subarray(1)), 'target public key'])
  }
  rows.push(
    [hex(header.id), 'message id'],
    [header.ref ? hex(header.ref) : '00'.repeat(16), header.ref ? 'ref: the request this answers' : 'ref: not a reply'],
    [hex(ts), `timestamp ${header.timestamp}`],
    [hex(len), `body length ${header.bodyLength}`],
    [hex(header.bodyHash), 'body SHA-256'],
    [hex(header.signature.subarray(0, 32)), 'signature, first half'],
    [hex(header.signature.subarray(32)), 'signature, second half'],
    ...(bodyRows ?? [[hex(body), 'body'] as [string, string]]),
  )
  const width = Math.max(...rows.map(([h]) => Math.min(h.length, 66))) + 2
  return rows.flatMap(([h, what]) => {
    const pieces = h.match(/.{1,66}/g) ?? ['']
    return pieces.map((p, i) => (i === 0 ? `${p.padEnd(width)}${what}` : p))
  })
}

/** docs/protocol.md §2.6, generated. */
export async function exampleMarkdown(): Promise<string> {
  const x = await buildExamples()
  const hex = bytesToHex
  const wrap = (s: string) => s.match(/.{1,64}/g)!.join('\n')
  const block = (lines: string[]) => ['```', ...lines, '```'].join('\n')
  const message = (m: typeof x.ping, marker: string) =>
    [
      block([
        `body sha256          ${hex(m.sealed.header.bodyHash)}`,
        `signed part sha256   ${hex(m.digest)}  (${m.signedPart.length} bytes)`,
        `signature            ${hex(m.signature)}`,
      ]),
      '',
      block(annotate(m.sealed.header, m.sealed.body)),
      '',
      `<!-- ${marker} -->`,
      block([wrap(m.bytes)]),
    ].join('\n')
  return [
    block([
      `identity secret key  ${hex(x.identityKey.secretKey)}`,
      `identity key id      ${hex(x.identity.keyId)}`,
      `identity address     ${x.identityKey.address}`,
      `node secret key      ${EXAMPLE_NODE_SECRET}`,
      `node key id          ${hex(x.node.keyId)}`,
    ]),
    '',
    '**The ping** (identity → node, reply expected):',
    '',
    message(x.ping, 'example-ping'),
    '',
    `Its signed part is the first ${x.ping.signedPart.length} bytes (up to and including the body hash); the signature is ECDSA`,
    'over the SHA-256 of the signed part shown above, and verifies against the sender\'s secp256k1 key.',
    '',
    '**The pong** (node → identity, the reply: `ref` = the ping\'s message id):',
    '',
    message(x.pong, 'example-pong'),
    '',
    `Here the signature is Ed25519 over the ${x.pong.signedPart.length}-byte signed part itself (its SHA-256 is shown for reference only).`,
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await exampleMarkdown())
}
