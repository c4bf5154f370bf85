/**
 * The confirmation dialog for what cannot be undone: it shows the text the
 * conduit wrote from its own parse of the request (never the page's own
 * description), and answers the conduit with the confirmation's id or cancels.
 */
import { api } from './api.js'
import { h } from './dom.js'

export interface Confirmation {
  id: string
  summary: string
  details: Record<string, string>
}

export function confirmWithConduit<T>(confirmation: Confirmation): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const close = () => dialog.remove()
    const yes = h('button', { class: 'primary', 'data-testid': 'confirm-yes', onclick: () => {
      yes.disabled = true
      api<T>('confirm', { id: confirmation.id }).then((r) => { close(); resolve(r) }, (e: unknown) => { close(); reject(e) })
    } }, 'Confirm')
    const no = h('button', { 'data-testid': 'confirm-no', onclick: () => {
      void api('cancel', { id: confirmation.id }).catch(() => {})
      close()
      resolve(undefined)
    } }, 'Cancel')
    const dialog = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'confirm-dialog' },
      h('div', { class: 'modal-box' }, h('h3', {}, 'Please confirm'), h('p', { 'data-testid': 'confirm-summary' }, confirmation.summary), h('div', { class: 'row' }, yes, no)))
    document.body.append(dialog)
    yes.focus()
  })
}
