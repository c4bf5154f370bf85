/** Values several codec tables share: members, epochs, and the `<cell>.members` request and reply. */
import fc from 'fast-check'

export const text = (max: number) => fc.string({ minLength: 1, maxLength: max })
export const whole = (min = 0) => fc.integer({ min, max: Number.MAX_SAFE_INTEGER })
export const epoch = fc.record({ term: whole(), seq: whole() })
export const member = fc.record({ id: text(130), endpoint: text(300) })

/** `<cell>.members` (src/core/tree/member-list.ts). */
export const membersRequest = fc.record({ any: fc.boolean(), since: fc.record({ treeId: text(64), epoch }) }, { requiredKeys: [] })
export const membersReply = fc.record(
  {
    treeId: text(64),
    epoch,
    size: whole(),
    members: fc.array(member, { maxLength: 5 }),
    source: fc.constantFrom('root' as const, 'replica' as const, 'cached' as const),
    unchanged: fc.boolean(),
    root: member,
    deputies: fc.array(member, { maxLength: 4 }),
  },
  { requiredKeys: [] },
)
