/**
 * The live service registry (docs/records.md "The service registry"): every
 * node publishes a signed service record in the `services` collection (its
 * id, where its cells listen, what they offer) with a TTL, re-signs it at a
 * third of the TTL with a higher sequence, and deletes it when it leaves.
 * Records past their TTL leave every set by the collection's rule, so a node
 * that died disappears everywhere within its TTL plus one sync interval.
 * Readers answer from the local set: no network round trip.
 */
import { BorgError } from '../errors.js'
import { bytesToHex, utf8 } from '../bytes.js'
import { bool, int, list, literal, nodeId, object, optional, text, type Infer } from '../codec/checks.js'
import { policy } from './collection.js'
import { jsonContent, signRecord, type UnsignedRecord } from './record.js'
import type { CollectionStore } from './collection-store.js'
import type { HeldRecord, RecordSet } from './record-set.js'

export const SERVICES = 'services'
/** The longest TTL a service record may claim (and so the collection's retention). */
export const MAX_TTL_SECONDS = 3600
export const DEFAULT_TTL_SECONDS = 300

const endpoint = text({ max: 300 })
const serviceShape = {
  node: nodeId,
  seq: int(),
  ttl: int(1, MAX_TTL_SECONDS),
  version: text({ max: 64 }),
  cells: list(object({ type: text({ max: 64 }), net: endpoint, recp: optional(endpoint), reach: optional(literal('public', 'private', 'unknown')), via: optional(list(endpoint, 8)) }), 64),
  services: list(object({ name: text({ max: 64 }), version: text({ max: 64 }) }), 64),
  capacity: optional(object({ storageFreeBytes: optional(int()), ledgerRepresentative: optional(bool) })),
  /** The record collections this node holds (other holders sync with it). */
  collections: optional(list(text({ max: 64 }), 64)),
}
const serviceCheck = object(serviceShape)
export type ServiceInfo = Infer<typeof serviceShape>

/** The `services` collection's rules: a node publishes only itself, with an expiry of exactly its TTL. */
export function servicesPolicy() {
  return policy(SERVICES, {
    retentionSeconds: MAX_TTL_SECONDS,
    maxContentBytes: 16 * 1024,
    // The current record and the deletions of those it replaced (each lives until its target would have expired).
    maxPerAuthor: 8,
    maxRecords: 20_000,
    check: (r) => checkServiceRecord(r),
  })
}

function checkServiceRecord(r: UnsignedRecord): string | undefined {
  if (r.contentType !== 'json') return 'a service record is JSON'
  let info: ServiceInfo
  try {
    info = serviceCheck(jsonContent(r), 'service')
  } catch (error) {
    return (error as Error).message
  }
  if (info.node !== bytesToHex(r.author)) return 'a node publishes its own service record only (node ≠ author)'
  if (r.expires !== r.created + info.ttl) return 'a service record expires exactly its TTL after it was created'
  return undefined
}

/** The live entry of each node: its latest (highest sequence) record that has not expired. */
export function liveServices(store: { set: RecordSet }, nowSeconds: number): (ServiceInfo & { created: number; expires: number; id: string })[] {
  const latest = new Map<string, { info: ServiceInfo; held: HeldRecord }>()
  for (const held of store.set.list()) {
    if (held.expiry <= nowSeconds) continue
    const info = serviceCheck(jsonContent(held.record), 'service')
    const known = latest.get(info.node)
    if (!known || info.seq > known.info.seq) latest.set(info.node, { info, held })
  }
  return [...latest.values()].map(({ info, held }) => ({ ...info, created: held.record.created, expires: held.record.expires, id: bytesToHex(held.id) })).sort((a, b) => (a.node < b.node ? -1 : 1))
}

/** This node's side: publish, refresh, leave. */
export class ServicePublisher {
  private seq = 0
  private current?: string

  constructor(
    private readonly store: CollectionStore,
    private readonly signer: { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array },
    private readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {
    if (ttlSeconds < 3 || ttlSeconds > MAX_TTL_SECONDS) throw new RangeError(`a service TTL is 3 to ${MAX_TTL_SECONDS} s`)
    // Carry on from the highest sequence this node published before (its records synced back or kept on disk).
    const self = bytesToHex(signer.keyId)
    for (const held of store.set.list({ author: self })) {
      const info = jsonContent(held.record) as ServiceInfo
      if (info.seq >= this.seq) this.seq = info.seq
    }
  }

  /** Re-sign at a third of the TTL. */
  get refreshEveryMs(): number {
    return Math.floor((this.ttlSeconds * 1000) / 3)
  }

  /** Sign and store the next record (a higher sequence), then delete the one it replaces. */
  async publish(info: Omit<ServiceInfo, 'node' | 'seq' | 'ttl'>, nowSeconds: number): Promise<string> {
    // The sequence never goes back, across restarts too: at least the time in seconds.
    this.seq = Math.max(this.seq + 1, nowSeconds)
    const content: ServiceInfo = { ...info, node: bytesToHex(this.signer.keyId), seq: this.seq, ttl: this.ttlSeconds }
    const record = signRecord({ kind: 'record', collection: SERVICES, author: this.signer.keyId, created: nowSeconds, expires: nowSeconds + this.ttlSeconds, contentType: 'json', content: utf8.encode(JSON.stringify(content)) }, this.signer)
    const [result] = await this.store.put([record.bytes], nowSeconds)
    if (result instanceof Error) throw result
    const previous = this.current
    this.current = result!.id
    if (previous && previous !== this.current) await this.remove(previous, nowSeconds)
    return this.current
  }

  /** A signed leave: the current record is deleted everywhere the deletion reaches, at once. */
  async leave(nowSeconds: number): Promise<void> {
    if (this.current) await this.remove(this.current, nowSeconds)
    this.current = undefined
  }

  private async remove(id: string, nowSeconds: number): Promise<void> {
    const held = this.store.set.get(id)
    if (!held || held.expiry <= nowSeconds) return
    // The deletion lives exactly as long as its target would have: then both are gone by the rule.
    const created = Math.max(nowSeconds, held.record.created)
    const deletion = signRecord({ kind: 'deletion', collection: SERVICES, author: this.signer.keyId, created, expires: Math.max(held.expiry, created + 1), contentType: 'bytes', content: held.id }, this.signer)
    const [result] = await this.store.put([deletion.bytes], nowSeconds)
    if (result instanceof Error && !(result instanceof BorgError && result.code === 'refused')) throw result
  }
}
