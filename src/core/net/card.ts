/**
 * The node card: an envelope of kind `wire.card`, signed by the node's identity
 * key, stating which TLS certificate (by SHA-256) that node presents. Peers pin
 * the certificate from the card and refuse any other, so a self-signed
 * certificate authenticates the node without any certificate authority.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, utf8 } from '../bytes.js'
import { BodyType } from '../wire/message.js'
import type { Random } from '../wire/random.js'
import { open, sealToBytes, type EnvelopeSigner } from '../envelope/seal.js'

export const CARD_KIND = 'wire.card'

export interface NodeCard {
  /** Hex key id of the node (the card's signer). */
  nodeId: string
  /** Hex SHA-256 of the DER certificate the node presents. */
  certSha256: string
  /** host:port strings the node listens on, as it knows them. */
  endpoints: string[]
  issuedAt: number
  expiresAt: number
}

interface CardBody {
  v: 1
  cert: string
  endpoints: string[]
  expires: number
}

export function createCard(
  signer: EnvelopeSigner,
  card: { certSha256: string; endpoints: string[]; expiresAt: number },
  issuedAt: number,
  random: Random,
): Uint8Array {
  const body: CardBody = { v: 1, cert: card.certSha256, endpoints: card.endpoints, expires: card.expiresAt }
  return sealToBytes(signer, { kind: CARD_KIND, body: utf8.encode(JSON.stringify(body)), bodyType: BodyType.json }, { timestamp: issuedAt, random })
}

/** Verify a card's signature and shape; throws BorgError. Does not check expiry. */
export function parseCard(bytes: Uint8Array): NodeCard {
  const { header, body } = open(bytes)
  if (header.kind !== CARD_KIND) throw new BorgError('malformed', `expected a ${CARD_KIND} envelope, got ${header.kind}`)
  let parsed: CardBody
  try {
    parsed = JSON.parse(utf8.decode(body)) as CardBody
  } catch {
    throw new BorgError('malformed', 'node card body is not JSON')
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    parsed.v === 1 &&
    typeof parsed.cert === 'string' &&
    /^[0-9a-f]{64}$/.test(parsed.cert) &&
    Array.isArray(parsed.endpoints) &&
    parsed.endpoints.every((e) => typeof e === 'string' && e.length <= 300) &&
    Number.isSafeInteger(parsed.expires)
  if (!valid) throw new BorgError('malformed', 'node card body has the wrong shape')
  return {
    nodeId: bytesToHex(header.sender),
    certSha256: parsed.cert,
    endpoints: parsed.endpoints,
    issuedAt: header.timestamp,
    expiresAt: parsed.expires,
  }
}
