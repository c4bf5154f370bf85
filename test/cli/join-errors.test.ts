/**
 * `borg node join` says what went wrong, on the terminal and in its exit
 * status, when it cannot join (contacts unreachable, or failing verification)
 * or cannot listen (a port in use), in the background and in the foreground.
 * Real CLI processes on 127.0.0.1; the contact is a node in this process.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cronoCell } from '../../src/cells/crono/index.js'
import { BorgError } from '../../src/core/errors.js'
import { OrganismNode } from '../../src/core/node/organism-node.js'
import { addressInUse } from '../../src/core/node/port-holder.js'
import { startMitmProxy } from '../helpers/mitm-proxy.js'
import { reservePortSlot } from '../helpers/port-slots.js'
import { refusingPort } from '../helpers/refusing-port.js'
import { plainEnv, runChild } from './harness.js'

// A slot of ports no other test run holds (test/helpers/port-slots.ts): the contact at its base,
// each node after it 100 ports up (a crono cell's ports sit 56-58 above the slot's first port).
const slot = await reservePortSlot()
const BASE = slot.portBaseAt(slot.first)
const CRONO_NET = 13396
let nextBase = BASE + 100

function takeBase(): number {
  const base = nextBase
  nextBase += 100
  if (base + CRONO_NET + 2 >= slot.end) throw new Error('join-errors: more nodes than the port slot holds')
  return base
}
const homes: string[] = []
let contact: OrganismNode
let mitm: Awaited<ReturnType<typeof startMitmProxy>>
let closedPort: number

async function freshHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'borg-joinerr-'))
  homes.push(home)
  return home
}

/** `borg node join --cells crono` in a fresh home on its own port base, contacts tried for 1 s unless told. */
async function joinNode(args: string[], waitSeconds = 1) {
  const home = await freshHome()
  const portBase = takeBase()
  const result = await runChild(['node', 'join', '--host', '127.0.0.1', '--cells', 'crono', '--port-base', String(portBase), '--contact-wait', String(waitSeconds), ...args], {
    env: plainEnv({ BORG_HOME: home, BORG_HEARTBEAT_MS: '200' }),
  })
  return { ...result, home }
}

async function runningPid(home: string): Promise<number | undefined> {
  const text = await readFile(join(home, 'node', 'running.json'), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as { pid: number }).pid
}

async function stopNode(home: string): Promise<void> {
  const pid = await runningPid(home)
  if (pid === undefined || pid === process.pid) return // the contact runs in this process
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Accepts connections and says nothing (the node's card probe gets no answer).
    const server = createServer((socket) => socket.on('error', () => {}).resume())
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

beforeAll(async () => {
  contact = await OrganismNode.start({ home: await freshHome(), cells: [cronoCell], contacts: [], portBase: BASE, bindHost: '127.0.0.1', advertiseHost: '127.0.0.1', tree: { heartbeatMs: 200 } })
  // A man-in-the-middle in front of the contact: its TLS certificate is not the one the contact's signed card binds.
  mitm = await startMitmProxy(`127.0.0.1:${BASE + CRONO_NET}`)
  closedPort = await refusingPort()
})


afterAll(async () => {
  await Promise.all(homes.map(stopNode))
  await mitm?.close()
  await contact?.stop()
  await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })))
  await slot.release()
})

describe('node join: no contact can be reached', () => {
  it('in the background: exits 4 naming the contact and the reason, and leaves no node running', async () => {
    const r = await joinNode(['--contact', `127.0.0.1:${closedPort}`])
    expect(r.status, r.stderr).toBe(4)
    expect(r.stderr).toContain(`contact 127.0.0.1:${closedPort}: connection refused`)
    expect(r.stderr).toContain('not starting a separate network')
    expect(r.stdout).toBe('')
    expect(await runningPid(r.home)).toBeUndefined()
  }, 30_000)

  it('in the foreground with --json: exits 4 with {"error":{"code","message"}} on stdout', async () => {
    const r = await joinNode(['--contact', `127.0.0.1:${closedPort}`, '--foreground', '--json'])
    expect(r.status, r.stderr).toBe(4)
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; details: { contacts: { contact: string; code: string }[] } } }
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain(`contact 127.0.0.1:${closedPort}: connection refused`)
    expect(error.details.contacts).toEqual([expect.objectContaining({ contact: `127.0.0.1:${closedPort}`, code: 'unavailable' })])
  }, 30_000)

  it('with --alone: starts alone and says so', async () => {
    const r = await joinNode(['--contact', `127.0.0.1:${closedPort}`, '--alone'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(new RegExp(`warning: contact 127\\.0\\.0\\.1:${closedPort}: connection refused.*starting alone`))
    expect(await runningPid(r.home)).toBeGreaterThan(0)
    await stopNode(r.home)
  }, 30_000)
})

describe('node join: a contact fails verification', () => {
  it('a certificate the contact\'s card does not bind: exits 5 at once, logged as a verification failure', async () => {
    const started = Date.now()
    const r = await joinNode(['--contact', mitm.endpoint], 20)
    expect(r.status, r.stderr).toBe(5)
    expect(r.stderr).toContain(`contact ${mitm.endpoint}: presented a TLS certificate that its signed node card does not bind (pinning failed`)
    // Not retried for the 20 s wait: a foreign certificate does not fix itself.
    expect(Date.now() - started).toBeLessThan(15_000)
    const log = await readFile(join(r.home, 'node', 'node.log'), 'utf8')
    expect(log).toContain(`contact ${mitm.endpoint} failed verification (tls-pin)`)
    expect(log).not.toContain('did not answer')
  }, 30_000)

  it('NODEID@HOST:PORT answered by another node: exits 5 (identity-mismatch) in the foreground', async () => {
    const expected = `ed${'ab'.repeat(32)}`
    const r = await joinNode(['--contact', `${expected}@127.0.0.1:${BASE + CRONO_NET}`, '--foreground', '--json'])
    expect(r.status, r.stderr).toBe(5)
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } }
    expect(error.code).toBe('identity-mismatch')
    expect(error.message).toContain(`answered as node ${contact.nodeId.slice(0, 16)}…, not the expected ${expected.slice(0, 16)}… (pinning failed)`)
    expect(r.stderr).toContain('failed verification (identity-mismatch)')
  }, 30_000)
})

describe('node join: some contacts answer', () => {
  it('joins through those and warns about the others on the terminal', async () => {
    const r = await joinNode(['--contact', `127.0.0.1:${BASE + CRONO_NET}`, '--contact', `127.0.0.1:${closedPort}`, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const started = JSON.parse(r.stdout) as { warnings?: string[] }
    expect(started.warnings).toEqual([expect.stringMatching(new RegExp(`^contact 127\\.0\\.0\\.1:${closedPort}: connection refused.*joined through the others$`))])
    await stopNode(r.home)
  }, 30_000)
})

describe('node join: a port is in use', () => {
  it('by another borg node (foreground): exits 4 naming the cell, the port and the node holding it', async () => {
    const r = await runChild(['node', 'join', '--host', '127.0.0.1', '--cells', 'crono', '--port-base', String(BASE), '--foreground'], {
      env: plainEnv({ BORG_HOME: await freshHome() }),
    })
    expect(r.status, r.stderr).toBe(4)
    expect(r.stderr).toContain(
      `port ${BASE + CRONO_NET} (the crono cell's net port) on 127.0.0.1 is already in use by borg node ${contact.nodeId.slice(0, 16)}…, pid ${process.pid}`,
    )
  }, 30_000)

  it('by another program (background): exits 4 naming the port and the process', async () => {
    const portBase = nextBase
    const taken = await listenOn(portBase + 13398) // the crono monitor port
    try {
      const r = await joinNode([])
      expect(r.status, r.stderr).toBe(4)
      expect(r.stderr).toContain(`port ${portBase + 13398} (the crono cell's monitor port) on 127.0.0.1 is already in use by pid ${process.pid}`)
      expect(await runningPid(r.home)).toBeUndefined()
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  }, 30_000)

  it('node serve on a taken port exits 4 too (the same code for every command that listens)', async () => {
    const r = await runChild(['node', 'serve', '--port', String(BASE + CRONO_NET), '--json'], { env: plainEnv({ BORG_HOME: await freshHome() }) })
    expect(r.status, r.stderr).toBe(4)
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'unavailable', message: expect.stringContaining(`127.0.0.1:${BASE + CRONO_NET}`) })
  }, 30_000)
})

describe('addressInUse', () => {
  it('finds the port under node (errno names it) and under bun (only the server error does)', () => {
    const node = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 4396, address: '127.0.0.1' })
    const bun = Object.assign(new Error('Failed to start server. Is port 4396 in use?'), { code: 'EADDRINUSE', syscall: 'listen' })
    for (const cause of [node, bun]) {
      expect(addressInUse(new BorgError('unavailable', 'cannot listen', { cause, details: { host: '127.0.0.1', port: 4396 } }))?.port, cause.message).toBe(4396)
    }
    expect(addressInUse(new BorgError('unavailable', 'cannot listen', { cause: { code: 'EACCES' }, details: { port: 80 } }))).toBeUndefined()
  })
})
