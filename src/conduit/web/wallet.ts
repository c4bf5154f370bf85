/**
 * The wallet pane: balance (received as it arrives: the conduit receives on
 * each read), send with the conduit's confirmation, and history.
 */
import { api, ApiError } from './api.js'
import { confirmWithConduit, type Confirmation } from './confirm.js'
import { h, byId, notice, short } from './dom.js'

interface WalletView {
  address: string
  balance: string
  incoming: string
  height: string | null
}

interface HistoryRow {
  height: string
  op: string
  amount?: string
  to?: string
  memo?: string
  balance: string
  time: string
  id: string
}

let lastHeight: string | null | undefined

function sendForm(): HTMLElement {
  const to = h('input', { placeholder: 'to address', 'aria-label': 'to address', required: true, 'data-testid': 'send-to', autocomplete: 'off' })
  const amount = h('input', { placeholder: 'Shells', 'aria-label': 'amount in Shells', inputMode: 'decimal', required: true, 'data-testid': 'send-amount' })
  const memo = h('input', { placeholder: 'memo (optional)', 'aria-label': 'memo', maxLength: 256 })
  const out = h('div', { 'data-testid': 'send-result' })
  return h('form', { class: 'send', onsubmit: (e: Event) => {
    e.preventDefault()
    out.replaceChildren(notice('checking…', 'ok'))
    api<Confirmation>('wallet/send', { to: to.value.trim(), amount: amount.value.trim(), memo: memo.value })
      .then((c) => confirmWithConduit<{ sent: string; to: string; id: string; balance: string }>(c))
      .then((r) => {
        if (!r) return out.replaceChildren(notice('cancelled: nothing was sent', 'ok'))
        out.replaceChildren(notice(`sent ${r.sent} Shells to ${r.to} (block ${short(r.id, 16)})`, 'ok'))
        amount.value = memo.value = ''
        void refresh()
      }, (err: Error) => out.replaceChildren(notice(err.message)))
  } }, h('h3', {}, 'Send Shells'), to, amount, memo, h('button', { type: 'submit', class: 'primary' }, 'Send…'), out)
}

async function refresh(): Promise<void> {
  const status = byId('wallet-status')
  try {
    const view = await api<WalletView>('wallet')
    byId('wallet-balance').textContent = view.balance
    byId('wallet-incoming').textContent = view.incoming !== '0' ? `+${view.incoming} incoming` : ''
    status.replaceChildren()
    if (view.height !== lastHeight) {
      lastHeight = view.height
      const rows = await api<HistoryRow[]>('wallet/history')
      byId('wallet-history').replaceChildren(...rows.map((r) => h('tr', {},
        h('td', {}, r.time.slice(0, 19).replace('T', ' ')), h('td', {}, r.op),
        h('td', { class: 'num' }, r.amount ? `${r.op === 'send' ? '−' : '+'}${r.amount}` : ''),
        h('td', {}, r.to ? `to ${short(r.to, 14)}` : r.memo ?? ''), h('td', { class: 'num' }, r.balance))))
    }
  } catch (err) {
    const e = err as ApiError
    status.replaceChildren(notice(e.code === 'refused' && /locked/.test(e.message) ? 'Unlock your identity (Identity pane) to see your Shells.' : e.message))
  }
}

export function startWallet(): () => Promise<void> {
  byId('wallet-body').replaceChildren(
    h('div', { class: 'balance' }, h('span', { 'data-testid': 'wallet-balance', id: 'wallet-balance' }, '…'), h('span', { class: 'unit' }, ' Shells'), h('span', { id: 'wallet-incoming', class: 'muted' })),
    h('div', { id: 'wallet-status' }),
    sendForm(),
    h('h3', {}, 'History'),
    h('table', { class: 'history' }, h('tbody', { id: 'wallet-history', 'data-testid': 'wallet-history' })),
  )
  return refresh
}
