/**
 * Moderation by keys a node follows (docs/records.md "Moderation"): a
 * moderator publishes block-lists as records in the `moderation` collection,
 * which admits only the moderators the node follows; each names a collection
 * and the authors and record ids to block there. A node applies them to its
 * copy of that collection: what they name leaves it and stays out.
 */
import { hex, list, nodeId, object, optional, text, type Infer } from '../codec/checks.js'
import { policy, type CollectionPolicy } from './collection.js'
import { jsonContent, type UnsignedRecord } from './record.js'

export const MODERATION = 'moderation'

const blockShape = {
  collection: text({ max: 64 }),
  blockAuthors: optional(list(nodeId, 1000)),
  blockIds: optional(list(hex(32), 1000)),
}
const blockCheck = object(blockShape)
export type Blocks = Infer<typeof blockShape>

export function moderationPolicy(moderators: readonly string[]): CollectionPolicy {
  return policy(MODERATION, {
    moderation: { mode: 'allow', authors: new Set(moderators) },
    check: (r) => (moderationBlocks(r) ? undefined : 'a moderation record is {"collection", "blockAuthors"?: [key id], "blockIds"?: [record id]}'),
  })
}

/** The blocks a moderation record carries, or undefined when it is not one. */
export function moderationBlocks(record: UnsignedRecord): Blocks | undefined {
  if (record.contentType !== 'json') return undefined
  try {
    return blockCheck(jsonContent(record), 'moderation')
  } catch {
    return undefined
  }
}
