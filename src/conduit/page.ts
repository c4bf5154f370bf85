/**
 * The conduit's page, served from inside the binary (nothing fetched at run
 * time). It takes the token from the URL fragment into sessionStorage, strips
 * the fragment from the address bar, and talks only to its conduit with the
 * token as a bearer. This first page shows the identity and the live service
 * registry; the wallet, files and network panes build on the same API
 * (docs/conduit.md).
 */
import { createHash } from 'node:crypto'

export const CONDUIT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>borg</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #0e1116; color: #e6e6e6; }
  header { padding: 12px 16px; background: #161b22; font-weight: 600; }
  main { display: grid; gap: 12px; padding: 16px; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); }
  section { background: #161b22; border-radius: 8px; padding: 12px 16px; overflow-wrap: anywhere; }
  h2 { font-size: 14px; margin: 0 0 8px; color: #9da7b3; text-transform: uppercase; letter-spacing: .05em; }
  code { font-size: 13px; }
  .error { color: #ff7b72; }
  ul { padding-left: 18px; margin: 0; }
</style>
</head>
<body>
<header>borg</header>
<main>
  <section id="identity"><h2>Identity</h2><div id="identity-body">…</div></section>
  <section id="network"><h2>Live nodes</h2><div id="network-body">…</div></section>
</main>
<script>
(() => {
  const fragment = new URLSearchParams(location.hash.slice(1))
  if (fragment.get('t')) {
    sessionStorage.setItem('borg-token', fragment.get('t'))
    history.replaceState(null, '', location.pathname)
  }
  const token = sessionStorage.getItem('borg-token')
  const api = async (name) => {
    const response = await fetch('/api/' + name, { headers: { authorization: 'Bearer ' + token } })
    const body = await response.json()
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText)
    return body
  }
  const text = (id, value, error) => {
    const el = document.getElementById(id)
    el.textContent = value
    el.className = error ? 'error' : ''
  }
  if (!token) return text('identity-body', 'Open this page with the address borg ui printed (it carries the key to this conduit).', true)
  api('identity').then(
    (me) => {
      const el = document.getElementById('identity-body')
      el.replaceChildren()
      for (const [label, value] of [['Address', me.address], ['Public key', me.publicKey]]) {
        const p = document.createElement('p')
        p.append(label + ': ')
        const code = document.createElement('code')
        code.textContent = value
        p.append(code)
        el.append(p)
      }
    },
    (error) => text('identity-body', error.message, true),
  )
  const refresh = () => api('services').then(
    (nodes) => {
      const list = document.createElement('ul')
      for (const n of nodes) {
        const li = document.createElement('li')
        li.textContent = n.node.slice(0, 18) + '… ' + n.cells.map((c) => c.type).join(', ')
        list.append(li)
      }
      document.getElementById('network-body').replaceChildren(nodes.length ? list : 'no live nodes')
    },
    (error) => text('network-body', error.message, true),
  )
  refresh()
  setInterval(refresh, 5000)
})()
</script>
</body>
</html>
`

/** The CSP source of the page's one inline script (its SHA-256): no other script runs. */
export const PAGE_SCRIPT_HASH = `sha256-${createHash('sha256').update(CONDUIT_PAGE.split('<script>')[1]!.split('</script>')[0]!).digest('base64')}`
