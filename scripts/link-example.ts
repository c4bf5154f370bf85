/**
 * Prints the worked example of docs/protocol.md §4.5 (links): run with
 * `npx tsx scripts/link-example.ts`. Deterministic: the identity and node keys
 * of §2.6, the X25519 keys of RFC 7748 §6.1 (Alice opens, Bob accepts), fixed
 * ids and times. test/docs/protocol.test.ts checks the document against it;
 * docs/examples/verify_link.py checks the key schedule and the MAC
 * independently.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { sha256 } from '../src/core/crypto/hash.js'
import { encodeHeader } from '../src/core/envelope/codec.js'
import { seal, type EnvelopeSigner } from '../src/core/envelope/seal.js'
import { LinkEphemeral, linkSigner } from '../src/core/net/link-keys.js'
import { BodyType, type Outgoing } from '../src/core/wire/message.js'
import { buildExamples } from './protocol-example.js'

/** RFC 7748 §6.1: Alice's and Bob's X25519 private keys. */
export const OPENER_X25519 = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'
export const ACCEPTOR_X25519 = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'
/** Their shared secret, as RFC 7748 gives it. */
export const SHARED_SECRET = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'

const fixedId = (first: number) => Uint8Array.from({ length: 16 }, (_, i) => first + i)

function sealFixed(signer: EnvelopeSigner, message: Outgoing, id: Uint8Array, timestamp: number, expectsReply: boolean, ref?: Uint8Array) {
  return seal(signer, message, { id, ref, timestamp, expectsReply, random: { bytes: () => id, float: () => 0, int: () => 0 } })
}

export async function buildLinkExample() {
  const { identity, node } = await buildExamples()
  const opener = new LinkEphemeral(Buffer.from(OPENER_X25519, 'hex'))
  const acceptor = new LinkEphemeral(Buffer.from(ACCEPTOR_X25519, 'hex'))
  const opening = sealFixed(identity, { kind: 'wire.link.open', to: { type: 'node', id: node.keyId }, body: opener.publicKey }, fixedId(0x20), 1_700_000_000_000, true)
  const acceptance = sealFixed(
    node,
    { kind: 'wire.link.accept', to: { type: 'node', id: identity.keyId }, body: acceptor.publicKey },
    fixedId(0x30),
    1_700_000_000_001,
    false,
    opening.header.id,
  )
  const keys = opener.derive(acceptor.publicKey, opening.header, acceptance.header)
  const salt = sha256(encodeHeader(opening.header), encodeHeader(acceptance.header))
  const ping = sealFixed(
    linkSigner(identity.keyId, keys.opener),
    { kind: 'wire.ping', to: { type: 'node', id: node.keyId }, body: new TextEncoder().encode('{"seq":2}'), bodyType: BodyType.json },
    fixedId(0x40),
    1_700_000_000_002,
    true,
  )
  const hex = (s: { headerBytes: Uint8Array; body: Uint8Array }) => bytesToHex(s.headerBytes) + bytesToHex(s.body)
  return { opener, acceptor, opening: hex(opening), acceptance: hex(acceptance), salt, keys, ping: hex(ping), pingMac: ping.header.signature }
}

const wrap = (hex: string) => hex.match(/.{1,64}/g)!.join('\n')

/** The block docs/protocol.md carries, verbatim. */
export async function linkExampleMarkdown(): Promise<string> {
  const e = await buildLinkExample()
  return [
    '```',
    `opener X25519 public    ${bytesToHex(e.opener.publicKey)}`,
    `acceptor X25519 public  ${bytesToHex(e.acceptor.publicKey)}`,
    `shared secret           ${SHARED_SECRET}`,
    `salt                    ${bytesToHex(e.salt)}`,
    `opener key              ${bytesToHex(e.keys.opener)}`,
    `acceptor key            ${bytesToHex(e.keys.acceptor)}`,
    `ping MAC                ${bytesToHex(e.pingMac)}`,
    '```',
    '',
    'The opening (`wire.link.open`, identity → node, signed by the identity, body = the opener\'s X25519 key):',
    '',
    '<!-- example-link-open -->',
    '```',
    wrap(e.opening),
    '```',
    '',
    'The acceptance (`wire.link.accept`, node → identity, signed by the node, `ref` = the opening\'s id):',
    '',
    '<!-- example-link-accept -->',
    '```',
    wrap(e.acceptance),
    '```',
    '',
    'A `wire.ping` on the link (flags `03`: reply expected, link-authenticated; the last 64 header bytes are',
    'HMAC-SHA-512 of the signed part under the opener key):',
    '',
    '<!-- example-link-ping -->',
    '```',
    wrap(e.ping),
    '```',
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await linkExampleMarkdown())
