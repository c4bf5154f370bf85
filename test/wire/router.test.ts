import { afterAll, describe, expect, it } from 'vitest'
import { BorgError } from '../../src/core/errors.js'
import { jsonMessage } from '../helpers/json-messages.js'
import type { Incoming } from '../../src/core/wire/message.js'
import { ANYONE, MessageRouter, ownKey } from '../../src/core/messaging/router.js'
import type { Refusal } from '../../src/core/wire/sender-rule.js'
import { deliver, request } from '../../src/core/messaging/requests.js'
import type { Responder } from '../../src/core/wire/transport.js'
import { startClient, startNode } from '../helpers/wire.js'

const message = (kind: string, fromHex: string, expectsReply = true): Incoming => ({
  kind,
  from: new Uint8Array(0),
  fromHex,
  to: { type: 'none' },
  id: new Uint8Array(16),
  timestamp: 0,
  body: new Uint8Array(0),
  bodyType: 0,
  expectsReply,
})

function recorder(): Responder & { answers: string[] } {
  const answers: string[] = []
  return { answers, reply: (m) => void answers.push(`reply ${m.kind}`), fail: (code) => void answers.push(`fail ${code}`) }
}

describe('MessageRouter sender rules', () => {
  it('runs the handler only for senders the rule allows, and counts and reports the others', () => {
    const refusals: Refusal[] = []
    const router = new MessageRouter((r) => refusals.push(r))
    const handled: string[] = []
    router.on('node.control', ownKey('aa'), (m, r) => (handled.push(m.fromHex), r?.reply(jsonMessage('ok', {}))))
    router.on('public.ask', ANYONE, (m, r) => (handled.push(m.fromHex), r?.reply(jsonMessage('ok', {}))))
    const r1 = recorder()
    router.handle(message('node.control', 'bb'), r1)
    expect(r1.answers).toEqual(['fail refused'])
    const r2 = recorder()
    router.handle(message('node.control', 'aa'), r2)
    router.handle(message('public.ask', 'bb'), r2)
    expect(r2.answers).toEqual(['reply ok', 'reply ok'])
    expect(handled).toEqual(['aa', 'bb'])
    expect(router.refused.get('node.control')).toBe(1)
    expect(refusals).toEqual([{ kind: 'node.control', from: 'bb', reason: "node.control is accepted only from this node's own key" }])
    expect(router.rules()).toEqual(new Map([['node.control', "this node's own key"], ['public.ask', 'anyone']]))
  })

  it('throws a refused BorgError for a one-way message, so the transport answers it', () => {
    const router = new MessageRouter()
    router.on('node.control', ownKey('aa'), () => {})
    expect(() => router.handle(message('node.control', 'bb', false), undefined)).toThrow(BorgError)
    try {
      router.handle(message('node.control', 'bb', false), undefined)
    } catch (error) {
      expect((error as BorgError).code).toBe('refused')
    }
  })

  it('refuses unknown kinds', () => {
    const router = new MessageRouter()
    const r = recorder()
    router.handle(message('nobody.here', 'bb'), r)
    expect(r.answers).toEqual(['fail unknown-kind'])
    expect(router.unknownKinds).toBe(1)
  })
})

describe('refusals over HTTPS', () => {
  const closers: Array<() => Promise<void>> = []
  afterAll(async () => void (await Promise.all(closers.map((c) => c()))))

  it('answer a refused one-way message with refused instead of an acknowledgement', async () => {
    const server = await startNode()
    const client = startClient()
    closers.push(() => server.transport.close(), () => client.transport.close())
    const router = new MessageRouter()
    let handled = 0
    router.on('node.control', ownKey(server.id), () => void handled++)
    server.transport.onMessage(router.handle)
    const oneWay = await deliver(client.transport, { endpoint: server.endpoint }, jsonMessage('node.control', {})).catch((e) => e)
    expect(oneWay).toBeInstanceOf(BorgError)
    expect(oneWay.code).toBe('refused')
    const asked = await request(client.transport, { endpoint: server.endpoint }, jsonMessage('node.control', {})).catch((e) => e)
    expect(asked.code).toBe('refused')
    expect(handled).toBe(0)
  })
})
