/** `borg conduit` as a process: prints its address once (token in the fragment), answers with the guard on, stops on SIGTERM. */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('borg conduit', () => {
  it('prints its URL, serves the page and the API behind the token, and exits 0 on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'borg-conduit-'))
    const child = spawn(process.execPath, ['bin/borg.js', 'conduit', '--json'], { env: { ...process.env, BORG_HOME: home, BORG_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    try {
      for (let i = 0; i < 100 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100))
      const { url, port } = JSON.parse(stdout) as { url: string; port: number }
      const token = new URL(url).hash.slice('#t='.length)
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const page = await fetch(`http://127.0.0.1:${port}/`)
      expect(page.status).toBe(200)
      expect((await fetch(`http://127.0.0.1:${port}/api/identity`)).status).toBe(401)
      // This home has no identity yet (the page offers create and restore), behind the token.
      const me = await fetch(`http://127.0.0.1:${port}/api/identity`, { headers: { authorization: `Bearer ${token}` } })
      expect([me.status, await me.json()]).toEqual([200, { state: 'none' }])
      child.kill('SIGTERM')
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      expect(code).toBe(0)
      expect(stderr).toContain('conduit: GET /api/identity 401')
      expect(stderr).not.toContain(token)
    } finally {
      child.kill('SIGKILL')
      await rm(home, { recursive: true, force: true })
    }
  }, 30_000)
})

describe('borg ui', () => {
  it('starts the conduit and hands the browser ($BROWSER) the address with the token in the fragment, printing no token', async () => {
    const home = await mkdtemp(join(tmpdir(), 'borg-ui-'))
    const seen = join(home, 'browser-got')
    const browser = join(home, 'browser.sh')
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`, { mode: 0o755 })
    const child = spawn(process.execPath, ['bin/borg.js', 'ui', '--json'], { env: { ...process.env, BORG_HOME: home, BROWSER: browser }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    try {
      for (let i = 0; i < 100 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100))
      const printed = JSON.parse(stdout) as { port: number; opened: boolean; url?: string }
      expect(printed.opened).toBe(true)
      expect(printed.url).toBeUndefined() // the browser got it; the terminal did not
      let url = ''
      for (let i = 0; i < 50 && !url; i++) {
        url = await readFile(seen, 'utf8').catch(() => '')
        if (!url) await new Promise((r) => setTimeout(r, 100))
      }
      const address = new URL(url)
      expect(address.origin).toBe(`http://127.0.0.1:${printed.port}`)
      const token = address.hash.slice('#t='.length)
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect((await fetch(`http://127.0.0.1:${printed.port}/api/services`, { headers: { authorization: `Bearer ${token}` } })).status).not.toBe(401)
      child.kill('SIGTERM')
      expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(0)
    } finally {
      child.kill('SIGKILL')
      await rm(home, { recursive: true, force: true })
    }
  }, 30_000)
})
