/**
 * The conduit's page, served from inside the binary (nothing fetched at run
 * time): the layout and styles here, the script bundled from src/conduit/web/
 * by `npm run build:ui` (page-script.ts). The CSP admits that one inline
 * script by its hash and nothing else.
 */
import { createHash } from 'node:crypto'
import { PAGE_SCRIPT } from './page-script.js'

if (PAGE_SCRIPT.includes('</script')) throw new Error('the page script must not contain "</script"')

const STYLE = `
  :root { color-scheme: dark; --bg: #0e1116; --panel: #161b22; --line: #30363d; --text: #e6edf3; --muted: #8b949e; --accent: #58a6ff; --ok: #3fb950; --bad: #ff7b72; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: var(--bg); color: var(--text); }
  header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
  header .brand { font-weight: 700; letter-spacing: .04em; }
  #who { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
  nav { display: flex; gap: 4px; overflow-x: auto; padding: 8px 16px; border-bottom: 1px solid var(--line); }
  nav button { background: none; border: 0; color: var(--muted); padding: 6px 12px; border-radius: 6px; cursor: pointer; font: inherit; white-space: nowrap; }
  nav button[aria-selected="true"] { background: var(--panel); color: var(--text); }
  nav button.later { opacity: .6; }
  main { max-width: 980px; margin: 0 auto; padding: 16px; }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; overflow-wrap: anywhere; }
  h2 { font-size: 13px; margin: 0 0 10px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
  h3 { font-size: 15px; margin: 18px 0 8px; }
  code { font-size: 13px; }
  input, textarea, select { width: 100%; max-width: 520px; display: block; margin: 6px 0; padding: 8px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--text); font: inherit; }
  input[type=checkbox], input[type=file] { display: inline; width: auto; }
  input[type=file] { display: none; }
  button { font: inherit; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--line); background: #21262d; color: var(--text); cursor: pointer; margin: 4px 4px 4px 0; }
  button.primary { background: #238636; border-color: #2ea043; }
  button:disabled { opacity: .5; }
  .error { color: var(--bad); }
  .ok { color: var(--ok); }
  .muted { color: var(--muted); }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  td, th { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
  .facts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
  .facts dl { flex: 1 1 280px; margin: 0; }
  dt { color: var(--muted); font-size: 13px; }
  dd { margin: 0 0 8px; }
  .qr { width: 164px; height: 164px; background: #fff; border-radius: 6px; }
  .words { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 6px; margin: 12px 0; font-family: ui-monospace, monospace; }
  .balance { font-size: 34px; font-weight: 600; margin: 4px 0 8px; }
  .balance .unit { font-size: 18px; color: var(--muted); }
  .balance #wallet-incoming { font-size: 15px; margin-left: 12px; }
  .drop { border: 2px dashed var(--line); border-radius: 8px; padding: 28px 12px; text-align: center; color: var(--muted); }
  .drop.over { border-color: var(--accent); color: var(--text); }
  .link { color: var(--accent); cursor: pointer; text-decoration: underline; }
  .uploads { list-style: none; padding: 0; }
  .upload progress { width: min(320px, 60%); vertical-align: middle; }
  .actions button { padding: 4px 9px; font-size: 13px; }
  .player video, .player audio { max-width: 100%; margin-top: 6px; }
  .tree svg { max-height: 420px; }
  .edge { stroke: var(--line); stroke-width: 2; }
  .tree-node circle { fill: #21262d; stroke: var(--accent); stroke-width: 2; }
  .tree-node.root circle { stroke: #d29922; }
  .tree-node.current circle { fill: #1f6feb; }
  .tree-node text { fill: var(--text); font-size: 13px; }
  .tree-node text.label { fill: var(--muted); font-size: 11px; }
  .attempts { font-size: 13px; font-family: ui-monospace, monospace; padding-left: 18px; }
  .clickable { cursor: pointer; }
  .clickable:hover { background: #1c2128; }
  .mail-body { white-space: pre-wrap; font: inherit; background: var(--bg); padding: 10px; border-radius: 6px; }
  .modal { position: fixed; inset: 0; background: #000a; display: grid; place-items: center; padding: 16px; }
  .modal-box { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 18px; max-width: 520px; }
  @media (max-width: 600px) { main { padding: 8px; } section { padding: 10px; } .balance { font-size: 26px; } td, th { padding: 5px 4px; } .actions button { padding: 3px 6px; } }
`

const PANES = ['identity', 'wallet', 'files', 'network', 'mail', 'memory', 'agents']

export const CONDUIT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>borg</title>
<style>${STYLE}</style>
</head>
<body>
<header><span class="brand">borg</span><span id="who"></span></header>
<nav id="tabs" role="tablist"></nav>
<main>
${PANES.map((p) => `  <section id="pane-${p}" data-testid="pane-${p}" hidden><h2>${p}</h2><div id="${p}-body">…</div></section>`).join('\n')}
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`

/** The CSP source of the page's one inline script (its SHA-256): no other script runs. */
export const PAGE_SCRIPT_HASH = `sha256-${createHash('sha256').update(PAGE_SCRIPT).digest('base64')}`
