/**
 * Where a recipient's mail lives (docs/protocol.md §13.2): the mail cells
 * ranked first by rendezvous hashing (the chunk-placement rule of §9.4) for
 * `SHA-256("borg/mailbox/" ‖ recipient x-only hex)`. Mail cells and clients
 * apply the same rule, so anyone can check where a mail belongs.
 */
import { bytesToHex, utf8 } from '../bytes.js'
import { sha256 } from '../crypto/hash.js'
import { rankHolders } from '../storage/placement.js'

/** How many mail cells hold each recipient's mail. */
export const MAILBOX_COPIES = 3

/** The key the mail cells are ranked by for a recipient. */
export function mailboxKey(recipient: string): string {
  return bytesToHex(sha256(utf8.encode(`borg/mailbox/${recipient}`)))
}

/** The candidates, best first for this recipient (duplicates count once). */
export function rankMailboxes<M extends { id: string }>(recipient: string, candidates: Iterable<M>): M[] {
  const byId = new Map<string, M>()
  for (const c of candidates) byId.set(c.id, c)
  return rankHolders(mailboxKey(recipient), byId.keys()).map((id) => byId.get(id)!)
}
