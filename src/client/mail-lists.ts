/**
 * The recipient's allow and block lists (docs/mail.md "Spam and abuse"),
 * kept in this home (`mail/lists.json`): mailboxes cannot apply them, since
 * they never learn who wrote a mail. Mail from a blocked sender is deleted
 * from the mailboxes when listed; with a non-empty allow list, mail from
 * anyone not on it is held back (shown with --all) rather than listed.
 * Entries are addresses or keys (66 or 64 hex digits).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BorgError } from '../core/errors.js'
import { writeFileAtomic } from '../core/store/atomic-file.js'
import { MAINNET, parseAddress } from '../core/identity/address.js'

export interface MailLists {
  block: string[]
  allow: string[]
}

/** Entries per list at most. */
export const MAX_LIST_ENTRIES = 10_000

const path = (home: string) => join(home, 'mail', 'lists.json')

export async function loadMailLists(home: string): Promise<MailLists> {
  const text = await readFile(path(home), 'utf8').catch(() => undefined)
  if (!text) return { block: [], allow: [] }
  try {
    const parsed = JSON.parse(text) as Partial<MailLists>
    return { block: (parsed.block ?? []).filter((e) => typeof e === 'string'), allow: (parsed.allow ?? []).filter((e) => typeof e === 'string') }
  } catch {
    throw new BorgError('malformed', `${path(home)} is not JSON: fix or remove it`)
  }
}

/** An entry as kept: an address as written, a key as x-only lower-case hex. */
export function normalizeEntry(entry: string): string {
  const text = entry.trim()
  if (/^0[23][0-9a-f]{64}$/i.test(text)) return text.slice(2).toLowerCase()
  if (/^[0-9a-f]{64}$/i.test(text)) return text.toLowerCase()
  try {
    parseAddress(text, MAINNET)
  } catch {
    throw new BorgError('usage', `${text} is neither an address nor a public key`)
  }
  return text
}

/** Add (or with `remove`, take out) an entry of one list; the lists as they then stand. */
export async function editMailList(home: string, list: keyof MailLists, entry: string, remove = false): Promise<MailLists> {
  const lists = await loadMailLists(home)
  const value = normalizeEntry(entry)
  const kept = lists[list].filter((e) => e !== value)
  if (!remove) kept.push(value)
  if (kept.length > MAX_LIST_ENTRIES) throw new BorgError('too-large', `a list holds at most ${MAX_LIST_ENTRIES} entries`)
  lists[list] = kept
  await writeFileAtomic(path(home), JSON.stringify(lists, null, 2), 0o600)
  return lists
}

/** What the lists say of a mail from this sender (its address, when it stated its key, and its x-only key). */
export function verdictFor(lists: MailLists, sender: { address?: string; from: string }): 'block' | 'hold' | 'ok' {
  const names = [sender.from, ...(sender.address ? [sender.address] : [])]
  if (names.some((n) => lists.block.includes(n))) return 'block'
  if (lists.allow.length > 0 && !names.some((n) => lists.allow.includes(n))) return 'hold'
  return 'ok'
}
