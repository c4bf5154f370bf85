/**
 * The mail pane: the inbox (sender proven by its seal, subject, date), a mail
 * opened with its attachments to download, compose (to an address or a key,
 * with small attachments), and delete behind the conduit's confirmation.
 * Everything is sealed and opened in the conduit, with the identity there.
 */
import { api, download, ApiError } from './api.js'
import { confirmWithConduit, type Confirmation } from './confirm.js'
import { h, byId, base64, bytes, notice, short } from './dom.js'

interface Row { id: string; created: number; from: string; subject: string; bytes: number; attachments: number }
interface Opened { id: string; created: number; from: string; subject: string; body: string; attachments: { index: number; name: string; size: number }[] }

/** The ids last drawn (undefined: nothing drawn yet). */
let listed: string | undefined

async function open(id: string): Promise<void> {
  const view = byId('mail-view')
  view.replaceChildren(notice('opening…', 'ok'))
  try {
    const m = await api<Opened>(`mail/read?id=${id}`)
    const attachments = m.attachments.map((a) => h('li', {}, h('button', { 'data-testid': 'mail-attachment', onclick: () => void save(m.id, a) }, `${a.name} (${bytes(a.size)})`)))
    view.replaceChildren(h('article', { 'data-testid': 'mail-open' },
      h('h3', { 'data-testid': 'mail-subject' }, m.subject || '(no subject)'),
      h('p', { class: 'muted' }, `from ${m.from} · ${new Date(m.created * 1000).toLocaleString()}`),
      h('pre', { class: 'mail-body', 'data-testid': 'mail-body' }, m.body),
      attachments.length ? h('ul', {}, ...attachments) : null,
      h('button', { 'data-testid': 'mail-remove', onclick: () => void remove(m.id) }, 'Delete…')))
  } catch (err) {
    view.replaceChildren(notice((err as Error).message))
  }
}

async function save(id: string, a: { index: number; name: string }): Promise<void> {
  const blob = await (await download(`mail/attachment?id=${id}&n=${a.index}`)).blob()
  const url = URL.createObjectURL(blob)
  const link = h('a', { href: url, download: a.name })
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

async function remove(id: string): Promise<void> {
  const c = await api<Confirmation>('mail/remove', { id })
  if (await confirmWithConduit(c)) {
    byId('mail-view').replaceChildren(notice('deleted', 'ok'))
    listed = undefined
    await refresh()
  }
}

function compose(): HTMLElement {
  const to = h('input', { placeholder: 'to: address or public key', 'aria-label': 'to', required: true, 'data-testid': 'mail-to', autocomplete: 'off' })
  const subject = h('input', { placeholder: 'subject', 'aria-label': 'subject', maxLength: 256, 'data-testid': 'mail-subject-input' })
  const body = h('textarea', { rows: 5, placeholder: 'message', 'aria-label': 'message', 'data-testid': 'mail-body-input' })
  const chosen = h('span', { class: 'muted' })
  const files = h('input', { type: 'file', multiple: true, 'data-testid': 'mail-files', onchange: () => (chosen.textContent = [...(files.files ?? [])].map((f) => f.name).join(', ')) })
  const out = h('div', { 'data-testid': 'mail-send-result' })
  return h('form', { class: 'compose', onsubmit: (e: Event) => {
    e.preventDefault()
    out.replaceChildren(notice('sealing and sending…', 'ok'))
    void (async () => {
      const attachments = await Promise.all([...(files.files ?? [])].map(async (f) => ({ name: f.name, data: base64(await f.arrayBuffer()) })))
      const r = await api<{ to: string; mailboxes: number; ms: number }>('mail/send', { to: to.value.trim(), subject: subject.value, body: body.value, attachments })
      out.replaceChildren(notice(`delivered to ${r.to}: on ${r.mailboxes} mailboxes in ${r.ms} ms`, 'ok'))
      subject.value = body.value = ''
      files.value = ''
      chosen.textContent = ''
    })().catch((err: Error) => out.replaceChildren(notice(err.message)))
  } }, h('h3', {}, 'Write'), to, subject, body, h('p', {}, h('label', { class: 'link' }, 'Attach files…', files), ' ', chosen), h('button', { type: 'submit', class: 'primary' }, 'Send'), out)
}

async function refresh(): Promise<void> {
  const status = byId('mail-status')
  try {
    const { mails } = await api<{ mails: Row[] }>('mail')
    const key = mails.map((m) => m.id).join()
    status.replaceChildren()
    if (key === listed) return
    listed = key
    byId('mail-list').replaceChildren(...(mails.length === 0 ? [h('tr', {}, h('td', { class: 'muted' }, 'No mail.'))] : mails.map((m) => h('tr', { 'data-testid': 'mail-row', 'data-id': m.id, class: 'clickable', onclick: () => void open(m.id) },
      h('td', {}, short(m.from, 18)), h('td', {}, m.subject || '(no subject)', m.attachments ? ` (+${m.attachments} attached)` : ''), h('td', { class: 'num' }, new Date(m.created * 1000).toLocaleDateString())))))
  } catch (err) {
    const e = err as ApiError
    status.replaceChildren(notice(e.code === 'refused' && /locked/.test(e.message) ? 'Unlock your identity (Identity pane) to read your mail.' : e.message))
  }
}

export function startMail(): () => Promise<void> {
  byId('mail-body').replaceChildren(h('div', { id: 'mail-status' }), h('table', { class: 'inbox' }, h('tbody', { id: 'mail-list', 'data-testid': 'mail-list' })), h('div', { id: 'mail-view' }), compose())
  return refresh
}
