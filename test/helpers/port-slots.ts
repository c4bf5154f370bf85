/**
 * Ports for tests that start real node processes (test/e2e). `borg node join`
 * takes a --port-base, not port 0, so each such test reserves a slot of
 * SLOT_PORTS consecutive ports below the OS's ephemeral range (where port-0
 * listeners and outgoing connections get theirs, so in-process tests never
 * land in a slot). A lock file per slot keeps test runs apart however many run
 * at once (other files, other checkouts); each port of the slot is bound once
 * to be sure no other program holds it.
 */
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CELL_TYPES } from '../../src/cells/registry.js'

export const SLOT_PORTS = 1000
const FIRST_PORT = 2000
export const LOCK_DIR = join(tmpdir(), 'borg-test-port-slots')

/** The lowest port any cell type listens on with port base 0. */
const LOWEST_DNA_PORT = Math.min(...CELL_TYPES.flatMap((c) => [c.dna.netPort, c.dna.recpPort, c.dna.monPort]))

export interface PortSlot {
  first: number
  /** Exclusive. */
  end: number
  /** The --port-base that puts a node's lowest cell port on `port`. */
  portBaseAt(port: number): number
  release(): Promise<void>
}

/** Reserve a free slot (lock file, then every port bound once); release it when done. `only`: try just these slots (tests). */
export async function reservePortSlot(only?: number[]): Promise<PortSlot> {
  await mkdir(LOCK_DIR, { recursive: true })
  const slots = Math.floor((ephemeralStart() - FIRST_PORT) / SLOT_PORTS)
  // Start at a random slot so concurrent runs rarely even try the same lock.
  const offset = Math.floor(Math.random() * slots)
  const candidates = only ?? Array.from({ length: slots }, (_, k) => FIRST_PORT + ((offset + k) % slots) * SLOT_PORTS)
  for (const first of candidates) {
    const lock = join(LOCK_DIR, `slot-${first}`)
    if (!(await takeLock(lock))) continue
    if (await allFree(first, first + SLOT_PORTS)) {
      return { first, end: first + SLOT_PORTS, portBaseAt: (port) => port - LOWEST_DNA_PORT, release: () => rm(lock, { force: true }) }
    }
    await rm(lock, { force: true })
  }
  throw new Error(`no free slot of ${SLOT_PORTS} ports between ${FIRST_PORT} and ${ephemeralStart()} (locks in ${LOCK_DIR})`)
}

function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768
  } catch {
    return 32768
  }
}

/**
 * Create the lock holding our pid (written first, then linked into place, so a
 * lock is never seen half written); a lock whose process is gone is taken over.
 */
async function takeLock(path: string): Promise<boolean> {
  const mine = `${path}.${process.pid}.${randomUUID()}`
  await writeFile(mine, String(process.pid))
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(mine, path)
        return true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      if (alive(await holderOf(path))) return false
      // Stale: move it aside atomically. Had another taker just put a live lock there, put that back.
      const aside = `${path}.stale.${randomUUID()}`
      if (await rename(path, aside).then(() => true, () => false)) {
        if (alive(await holderOf(aside))) {
          await link(aside, path).catch(() => {})
          await rm(aside, { force: true })
          return false
        }
        await rm(aside, { force: true })
      }
    }
    return false
  } finally {
    await rm(mine, { force: true })
  }
}

async function holderOf(path: string): Promise<number> {
  return Number(await readFile(path, 'utf8').catch(() => '0')) || 0
}

function alive(pid: number): boolean {
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function allFree(from: number, to: number): Promise<boolean> {
  for (let port = from; port < to; port++) if (!(await bindable(port))) return false
  return true
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
