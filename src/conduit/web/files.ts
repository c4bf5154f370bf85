/**
 * The files pane: drop files (or pick them) to upload with a progress bar,
 * the list with each file's health (fewest live copies of any chunk), and per
 * file: download, play (audio and video stream while they play), pin, remove
 * (with the conduit's confirmation).
 */
import { api, download, ApiError } from './api.js'
import { confirmWithConduit, type Confirmation } from './confirm.js'
import { h, byId, base64, bytes, notice, short } from './dom.js'

const PART = 512 * 1024

interface Upload {
  id: string
  name: string
  size: number
  state: 'receiving' | 'storing' | 'stored' | 'failed'
  received: number
  stored: number
  through: string[]
  fileId?: string
  copies?: number
  error?: string
}

interface FileRow {
  id: string
  name: string | null
  size: number
  created: string
  encrypted: boolean
  health: number
}

function uploadRow(file: File): { el: HTMLElement; update(u: Partial<Upload>): void } {
  const bar = h('progress', { max: Math.max(1, file.size * 2), value: 0, 'data-testid': 'upload-progress' })
  const text = h('span', { class: 'muted' }, 'starting…')
  const el = h('li', { class: 'upload', 'data-name': file.name }, h('strong', {}, file.name), ' ', bar, ' ', text)
  return {
    el,
    update(u) {
      bar.value = (u.received ?? 0) + (u.stored ?? 0)
      if (u.state === 'stored') {
        bar.value = bar.max
        text.textContent = `stored: ${u.copies} copies${u.through && u.through.length > 1 ? `, failed over through ${u.through.length} nodes` : ''}`
        el.dataset.state = 'stored'
      } else if (u.state === 'failed') {
        text.textContent = `failed: ${u.error}`
        el.dataset.state = 'failed'
      } else text.textContent = u.state === 'storing' ? `storing ${bytes(u.stored ?? 0)} of ${bytes(file.size)}` : `sending ${bytes(u.received ?? 0)} of ${bytes(file.size)}`
    },
  }
}

async function upload(file: File, encrypt: boolean): Promise<void> {
  const row = uploadRow(file)
  byId('uploads').prepend(row.el)
  try {
    let u = await api<Upload>('files/upload', { name: file.name, size: file.size, mime: file.type || undefined, encrypt })
    for (let offset = 0; offset < file.size; offset += PART) {
      const data = base64(await file.slice(offset, offset + PART).arrayBuffer())
      u = await api<Upload>('files/upload/part', { id: u.id, offset, data })
      row.update(u)
    }
    while (u.state === 'receiving' || u.state === 'storing') {
      await new Promise((r) => setTimeout(r, 300))
      u = await api<Upload>(`files/upload?id=${u.id}`)
      row.update(u)
    }
    if (u.state === 'stored') void refresh()
  } catch (err) {
    row.update({ state: 'failed', error: (err as Error).message })
  }
}

async function save(row: FileRow): Promise<void> {
  const response = await download(`files/content?id=${row.id}`)
  const url = URL.createObjectURL(await response.blob())
  const a = h('a', { href: url, download: row.name ?? row.id })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

async function play(row: FileRow, cell: HTMLElement): Promise<void> {
  const { url } = await api<{ url: string }>('files/ticket', { id: row.id })
  const video = /\.(mp3|ogg|oga|wav|flac|m4a|opus)$/i.test(row.name ?? '')
  const player = video ? h('audio', { controls: true, autoplay: true, src: url, 'data-testid': 'player' }) : h('video', { controls: true, autoplay: true, src: url, 'data-testid': 'player' })
  cell.replaceChildren(player)
}

function actions(row: FileRow, out: HTMLElement): HTMLElement {
  const player = h('div', { class: 'player' })
  const act = (label: string, fn: () => Promise<void>, testid: string) =>
    h('button', { 'data-testid': testid, onclick: () => void fn().catch((e: Error) => out.replaceChildren(notice(e.message))) }, label)
  return h('td', { class: 'actions' },
    act('Download', () => save(row), 'file-download'),
    act('Play', () => play(row, player), 'file-play'),
    act('Pin', async () => {
      const r = await api<{ node: string }>('files/pin', { id: row.id })
      out.replaceChildren(notice(`pinned on node ${short(r.node)}`, 'ok'))
    }, 'file-pin'),
    act('Remove…', async () => {
      const c = await api<Confirmation>('files/remove', { id: row.id })
      if (await confirmWithConduit(c)) await refresh()
    }, 'file-remove'),
    player)
}

/** Rows by file id: a refresh updates health in place, so players and messages survive it. */
const rows = new Map<string, HTMLTableRowElement>()

function rowOf(r: FileRow): HTMLTableRowElement {
  const health = h('td', { 'data-testid': 'file-health' })
  const el = h('tr', { 'data-testid': 'file-row', 'data-id': r.id },
    h('td', {}, r.name ?? short(r.id, 16)), h('td', { class: 'num' }, bytes(r.size)), health, actions(r, byId('files-message')))
  return el
}

async function refresh(): Promise<void> {
  const out = byId('files-status')
  try {
    const list = await api<FileRow[]>('files')
    const body = byId('files-list')
    const ids = new Set(list.map((r) => r.id))
    for (const [id, el] of rows) if (!ids.has(id)) (el.remove(), rows.delete(id))
    for (const r of list) {
      let el = rows.get(r.id)
      if (!el) rows.set(r.id, (el = rowOf(r)))
      el.dataset.health = String(r.health)
      const health = el.querySelector('[data-testid=file-health]') as HTMLElement
      health.className = r.health >= 2 ? 'ok' : 'error'
      health.textContent = `${r.health} ${r.health === 1 ? 'copy' : 'copies'}`
      body.append(el) // in the list's order (moving an element keeps its state)
    }
    byId('files-empty').hidden = list.length > 0
    out.replaceChildren()
  } catch (err) {
    const e = err as ApiError
    out.replaceChildren(notice(e.code === 'refused' && /locked/.test(e.message) ? 'Unlock your identity (Identity pane) to see your files.' : e.message))
  }
}

export function startFiles(): () => Promise<void> {
  const encrypt = h('input', { type: 'checkbox', checked: true, id: 'encrypt' })
  const picker = h('input', { type: 'file', multiple: true, 'data-testid': 'file-input', onchange: () => { for (const f of picker.files ?? []) void upload(f, encrypt.checked); picker.value = '' } })
  const zone = h('div', { class: 'drop', 'data-testid': 'drop-zone' }, 'Drop files here, or ', h('label', { class: 'link' }, 'choose them', picker))
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over') })
  zone.addEventListener('dragleave', () => zone.classList.remove('over'))
  zone.addEventListener('drop', (e) => {
    e.preventDefault()
    zone.classList.remove('over')
    for (const f of e.dataTransfer?.files ?? []) void upload(f, encrypt.checked)
  })
  byId('files-body').replaceChildren(zone, h('label', { class: 'muted' }, encrypt, ' encrypt to my identity'), h('ul', { id: 'uploads', class: 'uploads' }), h('div', { id: 'files-status' }), h('div', { id: 'files-message', 'data-testid': 'files-message' }),
    h('table', { class: 'files' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Size'), h('th', {}, 'Health'), h('th', {}, ''))), h('tbody', { id: 'files-list' })),
    h('p', { id: 'files-empty', class: 'muted', hidden: true }, 'No files yet: drop one above.'))
  return refresh
}
