/** `borg conduit` as a process: prints its address once (token in the fragment), answers with the guard on, stops on SIGTERM. */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
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
      // This home has no identity: the API says so (404), behind the token.
      const me = await fetch(`http://127.0.0.1:${port}/api/identity`, { headers: { authorization: `Bearer ${token}` } })
      expect([me.status, ((await me.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not-found'])
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
