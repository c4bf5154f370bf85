/**
 * The binary prints help from the book the build renders (src/cli/help-book.ts,
 * src/cli/fast-help.ts). Whatever it prints must be what the usual path prints
 * for the same words, terminal width and colour, and whatever it is not sure
 * of must go the usual way.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { helpPageKey, pageFor, USER_AGENT, type HelpBook } from '../../src/cli/fast-help.js'
import { pageKey, renderHelp, renderHelpBook } from '../../src/cli/help-book.js'
import { route } from '../../src/cli/route.js'
import { loadConfig } from '../../src/main.js'

let book: HelpBook
beforeAll(async () => {
  book = await renderHelpBook(() => loadConfig())
}, 60_000)

const terminal = (columns: number | undefined) => ({ isTTY: columns !== undefined, getWindowSize: () => [columns ?? 0, 24] as [number, number] }) as unknown as NodeJS.WriteStream
const plain = { NO_COLOR: '1' } as NodeJS.ProcessEnv

describe('the help book', () => {
  it('has a page for the root, every topic and every visible command', async () => {
    const config = await loadConfig()
    expect(book.pages.root).toBeDefined()
    for (const c of config.commands.filter((c) => !c.hidden)) expect(book.pages[`command:${c.id}`], c.id).toBeDefined()
    for (const t of config.topics) expect(book.pages[`topic:${t.name}`], t.name).toBeDefined()
    expect(book.pages.root!.narrow).toContain(USER_AGENT)
  })

  it('prints what the usual path prints, at every width it answers for', async () => {
    const config = await loadConfig()
    for (const key of Object.keys(book.pages)) {
      const target = key === 'root' ? ({ kind: 'root' } as const) : key.startsWith('topic:') ? ({ kind: 'topic', name: key.slice(6) } as const) : ({ kind: 'command', id: key.slice(8) } as const)
      expect(pageKey(target)).toBe(key)
      for (const columns of [undefined, 40, 79, 80, 81, 100, 132, 200, 400]) {
        const fast = pageFor(book, key, terminal(columns), plain)
        if (fast === undefined) continue // the usual way
        const usual = (await renderHelp(await loadConfig(), target, columns ?? 80)).replaceAll(config.userAgent, fast.match(/borg\/\S+ \S+ node-\S+/)?.[0] ?? '')
        expect(fast, `${key} at ${columns ?? 'a pipe'}`).toBe(usual)
      }
    }
  }, 120_000)

  it('answers pipes and 80-column terminals for every page, and wide terminals where the page fits', () => {
    for (const key of Object.keys(book.pages)) {
      expect(pageFor(book, key, terminal(undefined), plain)).toBeDefined()
      expect(pageFor(book, key, terminal(80), plain)).toBeDefined()
    }
    const fitting = Object.entries(book.pages).filter(([, page]) => page.wide !== undefined && page.wideColumns! <= 200)
    expect(fitting.length).toBeGreaterThan(5)
    for (const [key, page] of fitting) {
      expect(pageFor(book, key, terminal(page.wideColumns), plain)).toBeDefined()
      if (page.wideColumns! > 81) expect(pageFor(book, key, terminal(page.wideColumns! - 1), plain)).toBeUndefined()
    }
    expect(pageFor(book, 'root', terminal(undefined), { OCLIF_COLUMNS: '120' })).toBeUndefined()
  })

  it('keeps colour only where colour is on', () => {
    expect(pageFor(book, 'command:node:join', terminal(80), { FORCE_COLOR: '1' })).toBe(book.pages['command:node:join']!.narrow)
    expect(pageFor(book, 'command:node:join', terminal(80), plain)).not.toMatch(/\x1b\[/)
  })
})

describe('the fast path finds the page route.ts would show', () => {
  const words = ['help', 'node', 'join', 'shard', 'put', 'get', 'id', 'new', 'wallet', 'bench', 'wire', 'nosuch', 'x', '--help', '-h', '--json', '--', '-v', 'version', 'completion', '--cells', 'all']
  it('for any argv built from command words, flags and stray words', async () => {
    const config = await loadConfig()
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 5 }), (argv) => {
        const key = helpPageKey(argv, book)
        const next = route(argv, config)
        if (key === undefined) return // the usual way: always correct
        expect(next.kind, argv.join(' ')).toBe('help')
        if (next.kind === 'help') expect(pageKey(next.target), argv.join(' ')).toBe(key)
      }),
      { numRuns: 2000 },
    )
    // And it does answer the usual shapes.
    expect(helpPageKey([], book)).toBe('root')
    expect(helpPageKey(['--help'], book)).toBe('root')
    expect(helpPageKey(['node', 'join', '--help'], book)).toBe('command:node:join')
    expect(helpPageKey(['help', 'shard', 'put'], book)).toBe('command:shard:put')
    expect(helpPageKey(['shard'], book)).toBe('topic:shard')
    expect(helpPageKey(['shard', '--json'], book)).toBeUndefined()
  })
})
