/**
 * The page the conduit serves is the bundle of src/conduit/web/ as committed
 * (page-script.ts, `npm run build:ui`), under 200 KB of script, with no
 * address outside the conduit in it (nothing fetched from anywhere else).
 */
import { describe, expect, it } from 'vitest'
import { bundlePageScript } from '../../scripts/build-ui.js'
import { PAGE_SCRIPT } from '../../src/conduit/page-script.js'
import { CONDUIT_PAGE, PAGE_SCRIPT_HASH } from '../../src/conduit/page.js'
import { createHash } from 'node:crypto'

describe('the conduit page', () => {
  it('is the current bundle of src/conduit/web (run `npm run build:ui` after changing it)', () => {
    expect(bundlePageScript() === PAGE_SCRIPT, 'src/conduit/page-script.ts is stale: run npm run build:ui').toBe(true)
  }, 60_000)

  it('weighs under 200 KB of script, loads nothing from elsewhere, and its CSP hash is its script’s', () => {
    expect(PAGE_SCRIPT.length).toBeLessThan(200 * 1024)
    expect(CONDUIT_PAGE).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(CONDUIT_PAGE).not.toMatch(/<script[^>]+src=|<link[^>]+href=/)
    expect(PAGE_SCRIPT_HASH).toBe(`sha256-${createHash('sha256').update(PAGE_SCRIPT).digest('base64')}`)
    expect(CONDUIT_PAGE.split('<script>')[1]!.split('</script>')[0]).toBe(PAGE_SCRIPT)
  })
})
