import { describe, expect } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { jsonMessage } from '../helpers/json-messages.js'
import { simIt } from './helpers.js'

describe('SimNetwork nodes', () => {
  simIt('generates deterministic fake ids, accepts given ones, and refuses clashes', 81, ({ create }) => {
    const { net } = create()
    const a = net.addNode()
    expect(a.id).toMatch(/^ed[0-9a-f]{64}$/)
    expect(a.endpoint).toBe('n0')
    expect(create().net.addNode().id).toBe(a.id) // same seed, same ids
    const given = `ED${'AB'.repeat(32)}`
    const b = net.addNode(given, { endpoint: 'relay.example:4433' })
    expect(b.id).toBe(given.toLowerCase())
    expect(net.node('relay.example:4433')!.id).toBe(b.id)
    expect(() => net.addNode(given)).toThrow(BorgError)
    expect(() => net.addNode('04abcd')).toThrow(RangeError)
    expect(() => net.addNode(undefined, { endpoint: 'relay.example:4433' })).toThrow(/in use/)
    expect(() => net.addNode(undefined, { endpoint: 'n7' })).toThrow(/reserved/)
    expect(() => net.crash('nope')).toThrow(/no simulated node/)
    expect(net.ids()).toEqual([a.id, b.id])
  })

  simIt('routes to custom endpoints and refuses look-alikes of default ones', 82, ({ create }) => {
    const { sim, net } = create()
    const a = net.addNode()
    const b = net.addNode(undefined, { endpoint: '10.0.0.2:4433' })
    let got = 0
    b.transport.onMessage(() => got++)
    const errors: string[] = []
    const onResult = (e: BorgError | null) => errors.push(e?.code ?? 'ok')
    a.transport.send({ endpoint: '10.0.0.2:4433' }, jsonMessage('x', 0), { onResult })
    a.transport.send({ endpoint: 'n01' }, jsonMessage('x', 0), { onResult }) // not "n1"
    a.transport.send({ endpoint: 'n1' }, jsonMessage('x', 0), { onResult }) // index 1 has a custom endpoint
    sim.run()
    expect(got).toBe(1)
    expect(errors.sort()).toEqual(['ok', 'unavailable', 'unavailable'])
  })
})
