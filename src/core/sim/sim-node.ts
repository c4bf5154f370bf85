/**
 * What the network remembers about a node across crashes: its identity,
 * endpoint, clock hardware and place in the topology. Everything a process
 * holds in memory lives in its SimTransport instead and dies with it.
 */
import type { MessageHandler, Transport } from '../wire/transport.js'
import type { LinkOptions } from './link-model.js'
import type { SeededRandom } from './seeded-random.js'
import type { SimClock } from './sim-clock.js'

/**
 * One running process of a node, as the courier sees it (SimTransport is the
 * one implementation). Declared here, not imported, so the simulator's files
 * form no import cycle.
 */
export interface SimProcess extends Transport {
  alive: boolean
  handler: MessageHandler | undefined
  readonly node: SimNodeRecord
  readonly clock: SimClock
  readonly random: SeededRandom
}

export class SimNodeRecord {
  /** Partition group; only meaningful while the network is partitioned. */
  group = 0
  /** Messages this node has sent (all incarnations): the counter behind their link fates. */
  sendCounter = 0
  /** Incarnations started so far; the running one is generation - 1. */
  generation = 0
  /** Per-destination link overrides (rare, so allocated on first use). */
  links: Map<SimNodeRecord, LinkOptions> | undefined = undefined
  /** The running process, or undefined while crashed. */
  instance: SimProcess | undefined = undefined
  private idBytesCache: Uint8Array | undefined = undefined

  constructor(
    readonly index: number,
    readonly id: string,
    readonly endpoint: string,
    readonly offsetMs: number,
    readonly driftPpm: number,
  ) {}

  /** The key id bytes, shared by every message from this node (built on first send to save memory). */
  get idBytes(): Uint8Array {
    return (this.idBytesCache ??= hexDecodeId(this.id))
  }
}

// Id bytes are carved out of shared 64 KiB buffers: a Uint8Array of its own
// would also cost an ArrayBuffer object (~90 B per node at a million nodes).
const ARENA_BYTES = 65_536
let arena = new ArrayBuffer(ARENA_BYTES)
let arenaUsed = 0

function hexDecodeId(hex: string): Uint8Array {
  const length = hex.length >>> 1
  if (arenaUsed + length > ARENA_BYTES) {
    arena = new ArrayBuffer(ARENA_BYTES)
    arenaUsed = 0
  }
  const out = new Uint8Array(arena, arenaUsed, length)
  arenaUsed += length
  for (let i = 0; i < length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
  return out
}

/** A deterministic stand-in for an Ed25519 node key id (0xed + 32 bytes; not a checked curve point). */
export function fakeNodeId(random: SeededRandom): string {
  const bytes = random.bytes(33)
  bytes[0] = 0xed
  // Buffer's hex is one flat string; bytes.ts's bytesToHex builds a 33-piece rope (~900 B per id at scale).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')
}

function nibble(code: number): number {
  return code <= 57 ? code - 48 : (code | 32) - 87
}

// Key ids (src/core/crypto/key-id.ts): Ed25519 node keys, or secp256k1 identities.
const NODE_ID = /^(?:ed[0-9a-f]{64}|01(?:02|03)[0-9a-f]{64})$/

export function normaliseNodeId(id: string): string {
  const lower = id.toLowerCase()
  if (!NODE_ID.test(lower)) throw new RangeError(`node id must be a key id in hex ("ed" + 64 hex digits), got ${JSON.stringify(id)}`)
  return lower
}
