/**
 * The conduit's page: tabs for identity, wallet, files, network and mail
 * (memory and agents have their places, filled by later work), each pane
 * refreshed while it is shown.
 */
import { token } from './api.js'
import { h, byId } from './dom.js'
import { startIdentity, onIdentityChange } from './identity.js'
import { startWallet } from './wallet.js'
import { startFiles } from './files.js'
import { startNetwork } from './network.js'
import { startMail } from './mail.js'

const PANES = ['identity', 'wallet', 'files', 'network', 'mail', 'memory', 'agents'] as const
type Pane = (typeof PANES)[number]
const LATER: Partial<Record<Pane, string>> = { memory: 'Search across what you stored.', agents: 'Chat with agents hosted on the network.' }

const refreshers: Partial<Record<Pane, () => Promise<void>>> = {}
let shown: Pane = 'identity'

function show(pane: Pane): void {
  shown = pane
  for (const p of PANES) {
    byId(`pane-${p}`).hidden = p !== pane
    byId(`tab-${p}`).setAttribute('aria-selected', String(p === pane))
  }
  location.replace(`#${pane}`)
  void refreshers[pane]?.()
}

function start(): void {
  const nav = byId('tabs')
  for (const p of PANES) {
    nav.append(h('button', { id: `tab-${p}`, role: 'tab', 'data-testid': `tab-${p}`, class: LATER[p] ? 'later' : '', onclick: () => show(p) }, p[0]!.toUpperCase() + p.slice(1)))
    if (LATER[p]) byId(`${p}-body`).replaceChildren(h('p', { class: 'muted' }, `${LATER[p]} Coming in a later version.`))
  }
  if (!token) {
    byId('identity-body').replaceChildren(h('p', { class: 'error' }, 'Open this page with the address `borg ui` opened or `borg conduit` printed: it carries the key to this conduit.'))
    return show('identity')
  }
  refreshers.wallet = startWallet()
  refreshers.files = startFiles()
  refreshers.network = startNetwork()
  refreshers.mail = startMail()
  onIdentityChange((view) => { byId('who').textContent = view.state === 'none' ? 'no identity' : `${view.address} (${view.state})` })
  void startIdentity()
  // The shown pane refreshes every 2 s (balances, uploads, the tree), the others when shown.
  setInterval(() => void refreshers[shown]?.(), 2000)
  const wanted = location.hash.slice(1) as Pane
  show(PANES.includes(wanted) ? wanted : 'identity')
  requestAnimationFrame(() => performance.mark('borg-first-paint'))
}

start()
