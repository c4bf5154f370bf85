/**
 * The identity pane: address, public key and the address's QR code (drawn by
 * the conduit); create fresh 24 words (shown once), restore from words, unlock
 * and lock. Words and passphrases go to the conduit once and are cleared from
 * the page; nothing is kept in the browser's storage.
 */
import { api } from './api.js'
import { h, byId, notice } from './dom.js'

export type IdentityView = { state: 'none' } | { state: 'locked' | 'unlocked'; address: string; publicKey: string; qr: string }

let onChange: (view: IdentityView) => void = () => {}

export function onIdentityChange(fn: (view: IdentityView) => void): void {
  onChange = fn
}

function passphraseInput(testid: string, label = 'Passphrase (8 characters or more)'): HTMLInputElement {
  return h('input', { type: 'password', autocomplete: 'new-password', minLength: 8, required: true, placeholder: label, 'aria-label': label, 'data-testid': testid })
}

function restoreForm(replace: boolean): HTMLElement {
  const words = h('textarea', { rows: 3, placeholder: 'the 24 words, in order', 'aria-label': 'the 24 words', 'data-testid': 'restore-words', autocomplete: 'off', spellcheck: false })
  const pass = passphraseInput('restore-passphrase', 'A passphrase to seal it on this machine')
  const out = h('div')
  const form = h('form', { 'data-testid': 'restore-form', onsubmit: (e: Event) => {
    e.preventDefault()
    const sent = { words: words.value.trim().replace(/\s+/g, ' '), passphrase: pass.value, replace }
    words.value = ''
    pass.value = ''
    out.replaceChildren(notice('restoring…', 'ok'))
    api<IdentityView>('identity/restore', sent).then(show, (err: Error) => out.replaceChildren(notice(err.message)))
  } }, h('h3', {}, replace ? 'Replace with another identity' : 'Restore from 24 words'), words, pass, h('button', { type: 'submit', class: 'primary' }, 'Restore'), out)
  return form
}

function createForm(): HTMLElement {
  const pass = passphraseInput('create-passphrase')
  const again = passphraseInput('create-passphrase-again', 'The passphrase again')
  const out = h('div')
  return h('form', { 'data-testid': 'create-form', onsubmit: (e: Event) => {
    e.preventDefault()
    if (pass.value !== again.value) return out.replaceChildren(notice('the two passphrases differ'))
    const passphrase = pass.value
    pass.value = again.value = ''
    api<{ words: string; identity: IdentityView }>('identity/create', { passphrase }).then(({ words, identity }) => {
      const box = h('div', { class: 'words', 'data-testid': 'new-words' }, ...words.split(' ').map((w, i) => h('span', {}, `${i + 1}. ${w}`)))
      byId('identity-body').replaceChildren(h('p', {}, 'Write these 24 words down, in order, and keep them offline. They are your identity: anyone with them has it, and without them it cannot be recovered. They are shown once.'), box,
        h('button', { class: 'primary', onclick: () => show(identity) }, 'I wrote them down'))
    }, (err: Error) => out.replaceChildren(notice(err.message)))
  } }, h('h3', {}, 'Create a new identity'), pass, again, h('button', { type: 'submit', class: 'primary' }, 'Create'), out)
}

function unlockForm(): HTMLElement {
  const pass = passphraseInput('unlock-passphrase', 'Passphrase')
  pass.autocomplete = 'current-password'
  const out = h('div')
  return h('form', { 'data-testid': 'unlock-form', onsubmit: (e: Event) => {
    e.preventDefault()
    const passphrase = pass.value
    pass.value = ''
    api<IdentityView>('identity/unlock', { passphrase }).then(show, (err: Error) => out.replaceChildren(notice(err.message)))
  } }, h('h3', {}, 'Unlock'), pass, h('button', { type: 'submit', class: 'primary' }, 'Unlock'), out)
}

function show(view: IdentityView): void {
  const body = byId('identity-body')
  onChange(view)
  if (view.state === 'none') return body.replaceChildren(h('p', {}, 'No identity on this machine yet.'), createForm(), restoreForm(false))
  const facts = h('div', { class: 'facts' },
    h('img', { class: 'qr', alt: `QR code of ${view.address}`, src: `data:image/svg+xml;base64,${btoa(view.qr)}`, 'data-testid': 'address-qr' }),
    h('dl', {}, h('dt', {}, 'Address'), h('dd', {}, h('code', { 'data-testid': 'address' }, view.address)), h('dt', {}, 'Public key'), h('dd', {}, h('code', {}, view.publicKey)),
      h('dt', {}, 'State'), h('dd', { 'data-testid': 'identity-state' }, view.state === 'unlocked' ? 'unlocked in the conduit' : 'locked')))
  if (view.state === 'locked') return body.replaceChildren(facts, unlockForm(), h('details', {}, h('summary', {}, 'Restore another identity instead'), restoreForm(true)))
  body.replaceChildren(facts, h('button', { onclick: () => void api<IdentityView>('identity/lock', {}).then(show) }, 'Lock'))
}

export async function startIdentity(): Promise<void> {
  try {
    show(await api<IdentityView>('identity'))
  } catch (err) {
    byId('identity-body').replaceChildren(notice((err as Error).message))
  }
}
