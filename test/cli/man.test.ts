/** borg(1): generated from the help (npm run man), committed as man/borg.1, rendered by man without warnings. */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { manPage } from '../../src/cli/man.js'
import { loadConfig } from '../../src/main.js'
import { REPO } from './harness.js'

const PAGE = join(REPO, 'man', 'borg.1')

describe('man/borg.1', () => {
  it('is what the help says now (run npm run man after changing a command)', async () => {
    expect(readFileSync(PAGE, 'utf8')).toBe(manPage(await loadConfig()))
  })

  it('documents every visible command and every exit status', async () => {
    const config = await loadConfig()
    const page = readFileSync(PAGE, 'utf8')
    for (const c of config.commands.filter((c) => !c.hidden)) expect(page).toContain(`.SS "borg ${c.id.split(':').join(' ')}`)
    for (let status = 0; status <= 7; status++) expect(page).toContain(`.B ${status}\n`)
  })

  it('renders with man, without warnings', () => {
    if (spawnSync('man', ['--version']).status !== 0) return // no man on this machine: the checks above still hold
    const result = spawnSync('man', ['--warnings', '-l', PAGE], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } })
    expect(result.status).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('borg shard get ID')
  })
})
