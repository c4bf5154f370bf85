/**
 * Prints the worked example of docs/protocol.md §4.6 (relays): run with
 * `npx tsx scripts/relay-example.ts`. Deterministic: the node of §2.6 (RFC
 * 8032's first test key) reserves a slot at a relay holding RFC 8032's second
 * test key; fixed ids and times; the default limits. test/docs/protocol.test.ts
 * checks the document against it, and docs/examples/verify_envelope.py checks
 * both envelopes independently.
 */
import { bytesToHex } from '../src/core/bytes.js'
import { seal, type EnvelopeSigner } from '../src/core/envelope/seal.js'
import { ed25519Signer } from '../src/core/identity/signer.js'
import { DEFAULT_RELAY_LIMITS, type ReservationGrant } from '../src/core/net/relay-server.js'
import { RELAY_RESERVATION_KIND, RELAY_RESERVE_KIND } from '../src/core/net/http-mapping.js'
import { BodyType, type Outgoing } from '../src/core/wire/message.js'
import { buildExamples } from './protocol-example.js'

/** RFC 8032 §7.1 TEST 2 secret key: the relay. */
export const EXAMPLE_RELAY_SECRET = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'

const fixedId = (first: number) => Uint8Array.from({ length: 16 }, (_, i) => first + i)

function sealFixed(signer: EnvelopeSigner, message: Outgoing, id: Uint8Array, timestamp: number, expectsReply: boolean, ref?: Uint8Array) {
  return seal(signer, message, { id, ref, timestamp, expectsReply, random: { bytes: () => id, float: () => 0, int: () => 0 } })
}

export async function buildRelayExample() {
  const { node } = await buildExamples()
  const relay = ed25519Signer(Uint8Array.from(Buffer.from(EXAMPLE_RELAY_SECRET, 'hex')))
  const at = 1_700_000_000_000
  const reserve = sealFixed(node, { kind: RELAY_RESERVE_KIND, to: { type: 'node', id: relay.keyId }, body: new TextEncoder().encode('{}'), bodyType: BodyType.json }, fixedId(0x50), at, true)
  const l = DEFAULT_RELAY_LIMITS
  const grant: ReservationGrant = {
    relay: bytesToHex(relay.keyId),
    node: bytesToHex(node.keyId),
    expiresAt: at + 1 + l.reservationTtlMs,
    limits: { bytesPerSecond: l.bytesPerSecond, burstBytes: l.burstBytes, bytesPerDay: l.bytesPerDay, maxMessageBytes: l.maxMessageBytes, maxInFlight: l.maxInFlight },
  }
  const grantJson = JSON.stringify(grant)
  const reservation = sealFixed(
    relay,
    { kind: RELAY_RESERVATION_KIND, to: { type: 'node', id: node.keyId }, body: new TextEncoder().encode(grantJson), bodyType: BodyType.json },
    fixedId(0x60),
    at + 1,
    false,
    reserve.header.id,
  )
  const hex = (s: { headerBytes: Uint8Array; body: Uint8Array }) => bytesToHex(s.headerBytes) + bytesToHex(s.body)
  return { relay, node, grantJson, reserve: hex(reserve), reservation: hex(reservation) }
}

const wrap = (hex: string) => hex.match(/.{1,64}/g)!.join('\n')

/** The block docs/protocol.md carries, verbatim. */
export async function relayExampleMarkdown(): Promise<string> {
  const e = await buildRelayExample()
  return [
    '```',
    `relay secret key (RFC 8032 TEST 2)  ${EXAMPLE_RELAY_SECRET}`,
    `relay node id                       ${bytesToHex(e.relay.keyId)}`,
    `relayed node id (the node of 2.6)   ${bytesToHex(e.node.keyId)}`,
    '```',
    '',
    'The reservation request (`relay.reserve`, node → relay, signed by the node, body `{}`):',
    '',
    '<!-- example-relay-reserve -->',
    '```',
    wrap(e.reserve),
    '```',
    '',
    'The reservation (`relay.reservation`, relay → node, signed by the relay, `ref` = the request\'s id), whose body is',
    '',
    '```',
    e.grantJson,
    '```',
    '',
    '<!-- example-relay-reservation -->',
    '```',
    wrap(e.reservation),
    '```',
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await relayExampleMarkdown())
