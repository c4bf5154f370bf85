/** A few DOM helpers: elements built with properties and children, text only (never HTML from data). */
type Child = Node | string | number | null | undefined | false
type Props = Record<string, string | number | boolean | ((event: Event) => void) | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value)
    else if (name === 'class') el.className = String(value)
    else if (name in el && name !== 'list' && !name.startsWith('data-')) (el as unknown as Record<string, unknown>)[name] = value
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  el.append(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)))
  return el
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T
}

export function short(id: string, n = 12): string {
  return id.length > n ? `${id.slice(0, n)}…` : id
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

/** A message line in a pane: what went wrong, or what happened. */
export function notice(text: string, kind: 'error' | 'ok' = 'error'): HTMLElement {
  return h('p', { class: kind === 'error' ? 'error' : 'ok', role: kind === 'error' ? 'alert' : 'status' }, text)
}

/** Bytes as base64 (the conduit takes uploads and attachments as JSON). */
export function base64(buffer: ArrayBuffer): string {
  const view = new Uint8Array(buffer)
  let text = ''
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000))
  return btoa(text)
}
