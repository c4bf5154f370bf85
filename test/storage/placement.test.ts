import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { chooseHolders, mayHold, placementScore, rankHolders } from '../../src/core/storage/placement.js'

const hash = (s: string) => createHash('sha256').update(s).digest('hex')
const nodes = Array.from({ length: 50 }, (_, i) => `ed${hash(`node ${i}`)}`)

describe('rendezvous placement', () => {
  it('is the same for everyone, whatever order they list the candidates in', () => {
    const chunk = hash('chunk')
    const shuffled = [...nodes].reverse()
    expect(chooseHolders(chunk, shuffled, 3)).toEqual(chooseHolders(chunk, nodes, 3))
    expect(new Set(chooseHolders(chunk, nodes, 3)).size).toBe(3)
    expect(chooseHolders(chunk, nodes.slice(0, 2), 3)).toHaveLength(2) // capped by the candidates
  })

  it('moves only the chunks a leaving node held (and spreads load evenly)', () => {
    const chunks = Array.from({ length: 2000 }, (_, i) => hash(`c${i}`))
    const before = new Map(chunks.map((c) => [c, chooseHolders(c, nodes, 3)]))
    const gone = nodes[7]!
    const rest = nodes.filter((n) => n !== gone)
    let moved = 0
    for (const c of chunks) {
      const after = chooseHolders(c, rest, 3)
      const was = before.get(c)!
      if (!was.includes(gone)) expect(after).toEqual(was)
      else {
        moved++
        expect(after.filter((n) => was.includes(n))).toHaveLength(2) // the two others stay
      }
    }
    expect(moved).toBeGreaterThan(2000 * (3 / 50) * 0.6)
    expect(moved).toBeLessThan(2000 * (3 / 50) * 1.4)
    const load = new Map<string, number>()
    for (const holders of before.values()) for (const h of holders) load.set(h, (load.get(h) ?? 0) + 1)
    expect(Math.max(...load.values())).toBeLessThan((2000 * 3) / 50 * 1.6)
  })

  it('lets a holder prove it is chosen, and refuses one far down the ranking', () => {
    const chunk = hash('x')
    const ranked = rankHolders(chunk, nodes)
    expect(mayHold(chunk, ranked[0]!, nodes, 3)).toBe(true)
    expect(mayHold(chunk, ranked[4]!, nodes, 3)).toBe(true) // within the slack of 2
    expect(mayHold(chunk, ranked[5]!, nodes, 3)).toBe(false)
    expect(mayHold(chunk, ranked[40]!, nodes, 3)).toBe(false)
  })

  it('refuses what is not a chunk hash', () => {
    expect(() => placementScore('../../etc/passwd', nodes[0]!)).toThrow(/not a chunk hash/)
  })
})
