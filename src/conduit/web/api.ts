/**
 * The page's one way to its conduit: the bearer token (taken from the URL
 * fragment into sessionStorage, then removed from the address bar), JSON
 * both ways, errors as the conduit worded them.
 */
const fragment = new URLSearchParams(location.hash.slice(1))
if (fragment.get('t')) {
  sessionStorage.setItem('borg-token', fragment.get('t')!)
  history.replaceState(null, '', location.pathname)
}

export const token = sessionStorage.getItem('borg-token')

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

export async function api<T = unknown>(name: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  const init: RequestInit = body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }
  const response = await fetch(`/api/${name}`, init)
  const answer = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } }
  if (!response.ok) throw new ApiError(answer.error?.code ?? 'error', answer.error?.message ?? response.statusText, response.status)
  return answer as T
}

/** The raw response of a GET (a file's bytes). */
export async function download(name: string): Promise<Response> {
  const response = await fetch(`/api/${name}`, { headers: { authorization: `Bearer ${token}` } })
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } }
    throw new ApiError(answer.error?.code ?? 'error', answer.error?.message ?? response.statusText, response.status)
  }
  return response
}

/** Call `fn` now and every `ms` while the page is open; errors are `fn`'s to show. */
export function every(ms: number, fn: () => Promise<void>): void {
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      await fn()
    } finally {
      busy = false
    }
  }
  void tick()
  setInterval(() => void tick(), ms)
}
