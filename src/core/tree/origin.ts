/**
 * What travels signed beyond one hop (docs/protocol.md §6.5): the origin of a
 * broadcast or of a routed message, and a new root's term certificate. Each is
 * the UTF-8 of a domain tag and the fields joined by NUL bytes (no field can
 * hold a NUL: ids and kinds are checked text, bodies are base64), signed with
 * the node key through the Notary. The tags start with a lowercase "borg-", so
 * these bytes can never be mistaken for an envelope (which starts "BORG").
 */
import { utf8 } from '../bytes.js'
import type { Notary } from '../wire/notary.js'
import { MAX_CHAIN, type Broadcast, type DeputyCert, type Route, type TermCert } from './messages.js'

export function broadcastSignedBytes(b: Pick<Broadcast, 'bid' | 'origin' | 'kind' | 'bodyType' | 'at' | 'body'>): Uint8Array {
  return utf8.encode(['borg-tree/bcast/v1', b.bid, b.origin, b.kind, String(b.bodyType), String(b.at), b.body].join('\0'))
}

/** A route's destination as its origin chose it (the root adds a position to a node id on the way: not signed). */
function routeDestination(r: Pick<Route, 'dst' | 'treeId'>, addressedTree: string | undefined): string {
  return r.dst.node !== undefined ? `node:${r.dst.node}` : `position:${r.dst.position}@${addressedTree ?? ''}`
}

export function routeSignedBytes(r: Pick<Route, 'rid' | 'src' | 'dst' | 'treeId' | 'kind' | 'bodyType' | 'at' | 'body'>): Uint8Array {
  const tree = r.dst.node !== undefined ? undefined : r.treeId
  return utf8.encode(['borg-tree/route/v1', r.rid, r.src.id, routeDestination(r, tree), r.kind, String(r.bodyType), String(r.at), r.body].join('\0'))
}

export function termSignedBytes(treeId: string, term: number, root: string): Uint8Array {
  return utf8.encode(['borg-tree/term/v1', treeId, String(term), root].join('\0'))
}

export function deputySignedBytes(treeId: string, term: number, deputy: string): Uint8Array {
  return utf8.encode(['borg-tree/deputy/v1', treeId, String(term), deputy].join('\0'))
}

export function signature(notary: Notary, bytes: Uint8Array): string {
  return Buffer.from(notary.sign(bytes)).toString('base64')
}

export function signedBy(notary: Notary, signer: string, bytes: Uint8Array, sig: string): boolean {
  return notary.verify(signer, bytes, Buffer.from(sig, 'base64'))
}

/**
 * The chain that makes `root` the root of `treeId` from `term` on: `chain` (this node's, as a deputy or a
 * leaving root) plus a certificate signed by this node (with its deputy certificate, when it has one),
 * the last MAX_CHAIN kept.
 */
export function extendChain(notary: Notary, self: string, treeId: string, chain: TermCert[] | undefined, term: number, root: string, deputy?: DeputyCert): TermCert[] {
  const cert: TermCert = { term, root, by: self, sig: signature(notary, termSignedBytes(treeId, term, root)) }
  if (deputy) cert.deputy = deputy
  return [...(chain ?? []), cert].slice(-MAX_CHAIN)
}

/** The root's word that `deputy` is one of its deputies in `term`. */
export function issueDeputyCert(notary: Notary, self: string, treeId: string, term: number, deputy: string): DeputyCert {
  return { root: self, term, sig: signature(notary, deputySignedBytes(treeId, term, deputy)) }
}

/**
 * Whether `chain` leads from the root this node trusts (`trusted`, with the deputies it knows of) to
 * `claimant` as root at `term`. Each certificate after the trusted term must be signed by the root of the
 * term before it (a root leaving), by one of its deputies this node knows, or by a deputy that root
 * certified. Returns why not, or undefined.
 */
export function refuseChain(
  notary: Notary,
  treeId: string,
  trusted: { root: string; term: number; deputies: ReadonlySet<string> },
  chain: readonly TermCert[] | undefined,
  claimant: string,
  term: number,
): string | undefined {
  let root = trusted.root
  let rootTerm = trusted.term
  let deputies: ReadonlySet<string> | undefined = trusted.deputies
  for (const cert of chain ?? []) {
    if (cert.term <= rootTerm) continue
    const d = cert.deputy
    const byRoot = cert.by === root
    const byKnownDeputy = deputies?.has(cert.by) ?? false
    const byCertifiedDeputy = !!d && d.root === root && d.term === rootTerm && signedBy(notary, root, deputySignedBytes(treeId, rootTerm, cert.by), d.sig)
    if (!byRoot && !byKnownDeputy && !byCertifiedDeputy) return `the certificate for term ${cert.term} is signed by neither the root of term ${rootTerm} nor one of its deputies`
    if (!signedBy(notary, cert.by, termSignedBytes(treeId, cert.term, cert.root), cert.sig)) return `the certificate for term ${cert.term} has a bad signature`
    root = cert.root
    rootTerm = cert.term
    deputies = undefined // beyond the first step, only certified deputies
  }
  if (root === claimant && rootTerm === term) return undefined
  return `no chain of term certificates from the root this node knows (term ${trusted.term}) to this one (term ${term})`
}
