/**
 * What `borg records` and `borg services` do, against the local node's
 * collections (docs/records.md): sign records as this home's node key (or
 * identity), push them to the local node, list and read from its synced
 * sets, delete, and ask it to reconcile with a peer now. Reading the
 * registry needs no network round trip beyond this machine.
 */
import { BorgError } from '../core/errors.js'
import { bytesToHex, hexToBytes, utf8 } from '../core/bytes.js'
import { exchangeIn, type LocalNode } from '../core/node/local-client.js'
import { RECORDS_CODECS, RECORDS_KIND, MAX_LIST } from '../core/records/messages.js'
import { decodeRecord, isCollectionName, jsonContent, signRecord, type SignedRecord, type ContentTypeName } from '../core/records/record.js'
import { liveServices, servicesPolicy, SERVICES, type ServiceInfo } from '../core/records/service-registry.js'
import { RecordSet } from '../core/records/record-set.js'

type Signer = { keyId: Uint8Array; sign(message: Uint8Array): Uint8Array }

/** What a records request needs of a node: the local one (LocalNode), or any node's receptor (the conduit's). */
export type RecordsPeer = Pick<LocalNode, 'ask'>

const ask = <K extends keyof typeof RECORDS_KIND>(node: RecordsPeer, kind: K, body: Record<string, unknown>) => node.ask(exchangeIn(RECORDS_CODECS, RECORDS_KIND[kind]), body)

export interface RecordView {
  id: string
  collection: string
  kind: 'record' | 'deletion'
  author: string
  created: number
  expires: number
  contentType: ContentTypeName
  /** Parsed JSON, or the bytes as hex. */
  content: unknown
}

export function viewOf(signed: SignedRecord): RecordView {
  const r = signed.record
  return {
    id: bytesToHex(signed.id),
    collection: r.collection,
    kind: r.kind,
    author: bytesToHex(r.author),
    created: r.created,
    expires: r.expires,
    contentType: r.contentType,
    content: r.contentType === 'json' ? jsonContent(r) : bytesToHex(r.content),
  }
}

function checkCollection(name: string): void {
  if (!isCollectionName(name)) throw new BorgError('usage', `"${name}" is not a collection name: 1 to 64 of a-z 0-9 . _ - , starting with a letter or digit`)
}

/** Sign `content` into `collection` and store it at the local node (which opens the collection if it holds none). */
export async function putRecord(node: RecordsPeer, signer: Signer, collection: string, content: Uint8Array, options: { json: boolean; ttlSeconds?: number; now?: number }): Promise<RecordView> {
  checkCollection(collection)
  if (options.json) {
    try {
      JSON.parse(utf8.decode(content))
    } catch {
      throw new BorgError('invalid-input', 'the content is not JSON (use --bytes to store it as bytes)')
    }
  }
  const created = Math.floor((options.now ?? Date.now()) / 1000)
  const signed = signRecord({ kind: 'record', collection, author: signer.keyId, created, expires: options.ttlSeconds ? created + options.ttlSeconds : 0, contentType: options.json ? 'json' : 'bytes', content }, signer)
  await push(node, collection, signed)
  return viewOf(signed)
}

async function push(node: RecordsPeer, collection: string, signed: SignedRecord): Promise<void> {
  const reply = (await ask(node, 'push', { collection, records: [bytesToHex(signed.bytes)] })) as { results: { outcome: string; code?: string; error?: string }[] }
  const result = reply.results[0]
  if (!result || result.outcome === 'refused') throw new BorgError(result?.code === 'expired' || result?.code === 'from-future' || result?.code === 'too-large' ? (result.code as 'expired') : 'refused', result?.error ?? 'refused')
}

/** Every record of a collection at the local node, oldest first (all pages). */
export async function listRecords(node: RecordsPeer, collection: string, filter: { author?: string; since?: number; deletions?: boolean } = {}): Promise<SignedRecord[]> {
  checkCollection(collection)
  const out: SignedRecord[] = []
  let after: string | undefined
  for (;;) {
    const reply = (await ask(node, 'list', { collection, ...filter, ...(after ? { after } : {}), limit: MAX_LIST })) as { records: string[]; more: boolean }
    // Each record is checked here too: the command prints only what verifies.
    for (const hex of reply.records) out.push(decodeRecord(hexToBytes(hex)))
    if (!reply.more || reply.records.length === 0) return out
    after = bytesToHex(out[out.length - 1]!.id)
  }
}

/** A record by id, from whichever collection of the local node holds it. */
export async function getRecord(node: LocalNode, id: string): Promise<SignedRecord> {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new BorgError('usage', 'a record id is 64 lower-case hex digits')
  const { collections } = (await ask(node, 'collections', {})) as { collections: { name: string }[] }
  for (const { name } of collections) {
    const reply = (await ask(node, 'fetch', { collection: name, ids: [id] })) as { records: string[] }
    if (reply.records[0]) return decodeRecord(hexToBytes(reply.records[0]))
  }
  throw new BorgError('not-found', `no record ${id} in this node's collections`)
}

/** Delete a record this signer wrote: a signed deletion, stored at the local node and synced from there. */
export async function removeRecord(node: LocalNode, signer: Signer, id: string, now = Date.now()): Promise<RecordView> {
  const target = await getRecord(node, id)
  if (bytesToHex(target.record.author) !== bytesToHex(signer.keyId)) throw new BorgError('refused', `record ${id.slice(0, 16)}… was written by ${bytesToHex(target.record.author).slice(0, 16)}…, not by this key (only its author deletes it)`)
  const created = Math.max(Math.floor(now / 1000), target.record.created)
  // The deletion lives as long as the record could (its expiry, or the collection's retention: expires 0).
  const deletion = signRecord({ kind: 'deletion', collection: target.record.collection, author: signer.keyId, created, expires: target.record.expires === 0 ? 0 : Math.max(target.record.expires, created + 1), contentType: 'bytes', content: target.id }, signer)
  await push(node, target.record.collection, deletion)
  return viewOf(deletion)
}

export interface SyncResult {
  reports: { collection: string; peer: string; roundTrips: number; reconcileBytes: number; fetched: number; pushed: number; refused: number }[]
  errors: { collection: string; code: string; error: string }[]
}

/** Have the local node reconcile now with `peer` (HOST:PORT of any envelope port of a node). */
export async function syncNow(node: LocalNode, peer: string, collection?: string): Promise<SyncResult> {
  if (collection) checkCollection(collection)
  return (await ask(node, 'sync', { peer, ...(collection ? { collection } : {}) })) as SyncResult
}

/** The live registry as the local node holds it: each node's latest unexpired service record. */
export async function services(node: RecordsPeer, options: { cell?: string; now?: number } = {}): Promise<(ServiceInfo & { created: number; expires: number; id: string })[]> {
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  // Rebuilt through the collection's own rules, so a record this command would not accept is not shown.
  const set = new RecordSet(servicesPolicy())
  for (const signed of await listRecords(node, SERVICES, { deletions: true })) {
    try {
      set.offer(signed.bytes, now)
    } catch {
      // expired since the node listed it
    }
  }
  const live = liveServices({ set }, now)
  return options.cell ? live.filter((s) => s.cells.some((c) => c.type === options.cell)) : live
}

/**
 * A live cell of `type` from the local registry, for a client whose usual cell is gone (or whose
 * node runs no such cell): the most recently refreshed node running one, its receptor endpoint.
 */
export async function findLiveCell(node: LocalNode, type: string): Promise<{ endpoint: string; id: string } | undefined> {
  const candidates = (await services(node, { cell: type })).filter((s) => s.node !== node.running.nodeId)
  candidates.sort((a, b) => b.created - a.created)
  for (const s of candidates) {
    const cell = s.cells.find((c) => c.type === type)
    if (cell?.recp) return { endpoint: cell.recp, id: s.node }
  }
  return undefined
}
