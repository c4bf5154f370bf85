/**
 * The contacts a node joins through (`borg node join --contact`). Each is
 * asked for its directory (its cell endpoints) until it answers or the wait
 * runs out. A contact that answers but fails verification (a certificate its
 * node card does not bind, another node than the one named) is not asked
 * again: that does not fix itself, and it is reported as what it is, never as
 * silence. When no contact can be reached the node does not found a separate
 * network unless asked to (`alone`).
 */
import { BorgError, ExitCode, exitCodeFor, type ErrorCode } from '../errors.js'
import type { Logger } from '../log.js'
import { formatEndpoint, parseEndpoint } from '../net/endpoint.js'
import { request } from '../messaging/requests.js'
import type { Transport } from '../wire/transport.js'
import { NODE_CODECS } from './messages.js'

/** How long a node keeps trying its contacts by default (a contact starting at the same moment has time to come up). */
export const DEFAULT_CONTACT_WAIT_MS = 10_000
/** One directory request: long enough for a slow link, short enough to retry a few times within the wait. */
const ATTEMPT_MS = 2_000
const RETRY_PAUSE_MS = 500

export interface Contact {
  /** As given, normalised: "HOST:PORT" or "NODEID@HOST:PORT". */
  text: string
  endpoint: string
  /** The node id the contact must prove, when the user named it. */
  nodeId?: string
}

const NODE_ID = /^ed[0-9a-f]{64}$/

/** "HOST:PORT", or "NODEID@HOST:PORT" to refuse any other node on that address. */
export function parseContact(text: string): Contact {
  const at = text.lastIndexOf('@')
  const endpoint = formatEndpoint(parseEndpoint(at < 0 ? text : text.slice(at + 1)))
  if (at < 0) return { text: endpoint, endpoint }
  const nodeId = text.slice(0, at).trim().toLowerCase()
  if (!NODE_ID.test(nodeId)) throw new BorgError('usage', `invalid contact ${JSON.stringify(text)}: expected HOST:PORT or NODEID@HOST:PORT (a node id is "ed" + 64 hex digits)`)
  return { text: `${nodeId}@${endpoint}`, endpoint, nodeId }
}

export interface ContactFailure {
  contact: string
  code: ErrorCode
  /** Why, for a human: "connection refused", "presented a TLS certificate … (pinning failed)". */
  reason: string
}

export interface ContactOutcome {
  /** Each cell type's net endpoints among the contacts that answered. */
  seeds: Map<string, string[]>
  reached: string[]
  failed: ContactFailure[]
}

export interface ResolveOptions {
  transport: Transport
  contacts: Contact[]
  waitMs: number
  log: Logger
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export async function resolveContacts(options: ResolveOptions): Promise<ContactOutcome> {
  const { transport, log } = options
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const seeds = new Map<string, string[]>()
  const reached: string[] = []
  const final: ContactFailure[] = []
  const lastError = new Map<string, BorgError>()
  const pending = new Map(options.contacts.map((c) => [c.text, c]))
  const deadline = now() + options.waitMs
  let first = true
  while (pending.size > 0 && (first || now() < deadline)) {
    first = false
    const attemptMs = Math.min(ATTEMPT_MS, Math.max(RETRY_PAUSE_MS, deadline - now()))
    await Promise.all(
      [...pending.values()].map(async (contact) => {
        try {
          const reply = await request(transport, { endpoint: contact.endpoint, id: contact.nodeId }, NODE_CODECS.directory.encode({}), attemptMs)
          const directory = NODE_CODECS.directoryReply.decode(reply)
          for (const [name, cell] of Object.entries(directory.cells)) seeds.set(name, [...(seeds.get(name) ?? []), cell.net])
          reached.push(contact.text)
          pending.delete(contact.text)
        } catch (caught) {
          const error = caught instanceof BorgError ? caught : new BorgError('unavailable', String((caught as Error)?.message ?? caught))
          if (failedVerification(error)) {
            const failure = describe(contact, error)
            log.warn(`contact ${contact.text} failed verification (${error.code}): ${failure.reason}`)
            final.push(failure)
            pending.delete(contact.text)
            return
          }
          lastError.set(contact.text, error)
          log.debug(`contact ${contact.text} not reachable yet: ${error.message}`)
        }
      }),
    )
    if (pending.size > 0 && now() < deadline) await sleep(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - now())))
  }
  for (const contact of pending.values()) {
    const failure = describe(contact, lastError.get(contact.text) ?? new BorgError('timeout', 'no answer'))
    final.push({ ...failure, reason: `${failure.reason} (${options.waitMs > 0 ? `tried for ${formatSeconds(options.waitMs)}` : 'tried once'})` })
  }
  return { seeds, reached, failed: final }
}

/**
 * What to do with the outcome: throw when no contact was reached (unless the
 * node may start alone), else the warnings to show the user.
 */
export function judgeContacts(outcome: ContactOutcome, hostedCells: string[], options: { waitMs: number; alone: boolean }): string[] {
  const { failed, reached, seeds } = outcome
  if (failed.length > 0 && reached.length === 0 && !options.alone) throw joinFailure(failed, options.waitMs)
  const warnings = failed.map((f) => `contact ${f.contact}: ${f.reason}; ${reached.length > 0 ? 'joined through the others' : 'starting alone (--alone)'}`)
  if (reached.length > 0) {
    for (const cell of hostedCells) if (!seeds.has(cell)) warnings.push(`no contact runs a ${cell} cell: this node founds the ${cell} tree`)
  }
  return warnings
}

function joinFailure(failed: ContactFailure[], waitMs: number): BorgError {
  // A verification failure says more than silence: it decides the code (exit 5); otherwise unavailable (exit 4).
  const code = failed.find((f) => exitCodeFor(f.code) === ExitCode.verificationFailed)?.code ?? 'unavailable'
  const hint = 'not starting a separate network: check the contact, or pass --alone to found one deliberately'
  const message =
    failed.length === 1
      ? `cannot join: contact ${failed[0]!.contact}: ${failed[0]!.reason}; ${hint}`
      : `cannot join through any contact:\n${failed.map((f) => `  contact ${f.contact}: ${f.reason}`).join('\n')}\n${hint}`
  return new BorgError(code, message, { details: { contacts: failed, waitedMs: waitMs } })
}

/** A local check failed (TLS pin, identity, an invalid card or reply); a refusal sent by the contact is not one. */
function failedVerification(error: BorgError): boolean {
  return error.exitCode === ExitCode.verificationFailed && error.details?.remote !== true
}

function describe(contact: Contact, error: BorgError): ContactFailure {
  return { contact: contact.text, code: error.code, reason: reasonFor(contact, error) }
}

function reasonFor(contact: Contact, error: BorgError): string {
  if (error.code === 'tls-pin') return 'presented a TLS certificate that its signed node card does not bind (pinning failed: possible man-in-the-middle)'
  if (error.code === 'identity-mismatch') {
    const got = typeof error.details?.got === 'string' ? `${error.details.got.slice(0, 16)}…` : 'another node'
    return `answered as node ${got}, not the expected ${contact.nodeId?.slice(0, 16) ?? '?'}… (pinning failed)`
  }
  // Transport errors start with the endpoint; the contact is named already.
  const prefix = `${contact.endpoint}: `
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
