import { describe, expect, it } from 'vitest'
import { chooseRedirect, hopOf, MAX_HOPS, redirectLocation } from '../../src/cells/fstream/redirect.js'
import { LoadSurvey } from '../../src/cells/fstream/load-survey.js'
import { readLoad, type CellLoad } from '../../src/cells/fstream/messages.js'
import { BodyType } from '../../src/core/wire/message.js'
import { jsonMessage } from '../helpers/json-messages.js'
import type { Clock } from '../../src/core/wire/clock.js'

const cell = (url: string, clients: number, capacity: number): CellLoad => ({ url: `https://${url}`, clients, capacity })

describe('chooseRedirect', () => {
  it('picks the cell using the smallest share of its capacity, skipping full ones', () => {
    const loads = [cell('a:1', 10, 10), cell('b:1', 5, 10), cell('c:1', 30, 100), cell('d:1', 12, 10)]
    expect(chooseRedirect(loads)?.url).toBe('https://c:1') // 30 % beats 50 %; a and d are full
  })

  it('breaks ties by more free places, then by url', () => {
    expect(chooseRedirect([cell('a:1', 1, 2), cell('b:1', 10, 20)])?.url).toBe('https://b:1')
    expect(chooseRedirect([cell('b:1', 3, 10), cell('a:1', 3, 10)])?.url).toBe('https://a:1')
    expect(chooseRedirect([cell('a:1', 3, 10), cell('b:1', 3, 10)])?.url).toBe('https://a:1')
  })

  it('finds nobody when every cell is full or none answered', () => {
    expect(chooseRedirect([])).toBeUndefined()
    expect(chooseRedirect([cell('a:1', 1, 1), cell('b:1', 0, 0)])).toBeUndefined()
  })
})

describe('hops and locations', () => {
  it('reads the hop count, treating anything odd as 0', () => {
    expect(hopOf('')).toBe(0)
    expect(hopOf('hop=2')).toBe(2)
    expect(hopOf('x=1&hop=3')).toBe(3)
    for (const bad of ['hop=-1', 'hop=abc', 'hop=1e3', 'hop=99999']) expect(hopOf(bad)).toBe(0)
    expect(MAX_HOPS).toBe(3)
  })

  it('sends the client to the other cell’s receptor with the next hop', () => {
    expect(redirectLocation(cell('127.0.0.1:13500', 0, 1), 'ab'.repeat(32), 1)).toBe(`https://127.0.0.1:13500/files/${'ab'.repeat(32)}?hop=1`)
  })
})

describe('fstream.load replies', () => {
  it('accepts a well-formed load and skips anything else', () => {
    const reply = (body: unknown) => ({ kind: 'fstream.load.reply', body: jsonMessage('', body).body!, bodyType: BodyType.json })
    expect(readLoad(reply({ clients: 2, capacity: 64, url: 'https://127.0.0.1:13400' }))).toEqual({ clients: 2, capacity: 64, url: 'https://127.0.0.1:13400' })
    expect(readLoad(reply({ clients: 2, capacity: 64, url: 'https://[::1]:13400' }))?.url).toBe('https://[::1]:13400')
    for (const bad of [{ clients: -1, capacity: 1, url: 'https://a:1' }, { clients: 1, capacity: 1, url: 'http://a:1' }, { clients: 1, capacity: 1, url: 'https://a:1/x?y' }, { clients: 1 }, [1]]) {
      expect(readLoad(reply(bad))).toBeUndefined()
    }
  })
})

describe('LoadSurvey', () => {
  it('asks once per second however many clients arrive, and counts the clients it sent', async () => {
    let now = 0
    const clock = { monotonic: () => now } as Clock
    let asks = 0
    const survey = new LoadSurvey(async () => (asks++, [cell('b:1', 0, 2)]), clock, 1_000)
    const burst = await Promise.all([survey.loads(), survey.loads(), survey.loads()])
    expect(asks).toBe(1)
    expect(burst[0]).toEqual([cell('b:1', 0, 2)])
    survey.sentTo('https://b:1')
    survey.sentTo('https://b:1')
    expect(chooseRedirect(await survey.loads())).toBeUndefined() // full after the two it was sent
    now = 1_001
    expect(chooseRedirect(await survey.loads())?.url).toBe('https://b:1')
    expect(asks).toBe(2)
  })

  it('treats a failed round as nobody answering, for the same second', async () => {
    const clock = { monotonic: () => 0 } as Clock
    let asks = 0
    const survey = new LoadSurvey(() => (asks++, Promise.reject(new Error('no members'))), clock)
    expect(await survey.loads()).toEqual([])
    expect(await survey.loads()).toEqual([])
    expect(asks).toBe(1)
  })
})
