/**
 * Every help screen of this build, rendered once by the build (scripts/build-
 * binaries.ts) so the binary can print `borg --help`, `borg TOPIC --help` and
 * `borg help COMMAND` without loading oclif and the command modules (~25 ms of
 * a ~55 ms start). Each page is kept at the width of a pipe (80 columns) and
 * unwrapped (for terminals at least as wide as its longest line); anything
 * else goes the usual way. test/cli/help-book.test.ts holds the fast path to
 * the same text as the usual one.
 */
import type { Config } from '@oclif/core'
import { BorgHelp } from './help.js'
import type { Target } from './route.js'
import { USER_AGENT, type HelpBook, type HelpPage } from './fast-help.js'

export const NARROW_COLUMNS = 80
const UNWRAPPED = 10_000

/** A help screen's text as `borg` prints it at `columns` (colour as BorgHelp decides it now). */
export async function renderHelp(config: Config, target: Target, columns: number): Promise<string> {
  let text = ''
  await new BorgHelp(config, { maxWidth: columns }, (chunk) => (text += chunk)).show(target)
  return text
}

export function pageKey(target: Target): string {
  return target.kind === 'root' ? 'root' : target.kind === 'topic' ? `topic:${target.name}` : target.kind === 'command' ? `command:${target.id}` : ''
}

/**
 * `load` gives a fresh Config for every screen: oclif's Help rewrites the ids
 * of the commands it lists (`shard:get` → `shard get`), so a Config shows one
 * screen correctly, as in a real invocation.
 */
export async function renderHelpBook(load: () => Promise<Config>): Promise<HelpBook> {
  const config = await load()
  const commands = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const topics = config.topics.map((t) => t.name)
  const targets: Target[] = [{ kind: 'root' }, ...topics.map((name): Target => ({ kind: 'topic', name })), ...commands.map((id): Target => ({ kind: 'command', id }))]
  const pages: Record<string, HelpPage> = {}
  for (const target of targets) {
    const narrow = await renderHelp(await load(), target, NARROW_COLUMNS)
    const wide = await renderHelp(await load(), target, UNWRAPPED)
    // The fewest columns at which the text comes out the same as unwrapped (oclif keeps a margin of a few columns).
    const longest = Math.max(NARROW_COLUMNS + 1, ...visibleLines(wide).map((l) => l.length))
    let wideColumns: number | undefined
    for (let columns = longest; columns <= longest + 8 && wideColumns === undefined; columns++) {
      if ((await renderHelp(await load(), target, columns)) === wide) wideColumns = columns
    }
    pages[pageKey(target)] = wideColumns !== undefined && wide !== narrow ? { narrow, wide, wideColumns } : { narrow }
  }
  for (const page of Object.values(pages)) {
    page.narrow = page.narrow.replaceAll(config.userAgent, USER_AGENT)
    if (page.wide !== undefined) page.wide = page.wide.replaceAll(config.userAgent, USER_AGENT)
  }
  return { commands, topics, pages, userAgentPrefix: `${config.name}/${config.version}` }
}

function visibleLines(text: string): string[] {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').split('\n')
}
