/**
 * The layers of src/ as docs/architecture.md draws them, checked on every
 * import (type-only imports included):
 *   - src/core imports nothing from the cells, the client layer or the CLI;
 *   - a cell imports no other cell and not the CLI (the client layer may be used);
 *   - the client layer imports no CLI, and of the cells only their message modules;
 *   - no import cycle anywhere in src/.
 * Each rule is also run once on a made-up graph that breaks it, so it cannot pass vacuously.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')

type Graph = Map<string, string[]>

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : []
  })
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

/** Every file of src/ (relative to the repo) and the files of src/ it imports. */
function importGraph(): Graph {
  const files = sourceFiles(SRC)
  const known = new Set(files)
  const graph: Graph = new Map()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets: string[] = []
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2])!
      const base = resolve(dirname(file), spec).replace(/\.js$/, '')
      const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((t) => known.has(t))
      if (target) targets.push(relative(ROOT, target))
    }
    graph.set(relative(ROOT, file), targets)
  }
  return graph
}

const cellOf = (file: string) => /^src\/cells\/([^/]+)\//.exec(file)?.[1]
const isCli = (file: string) => file.startsWith('src/commands/') || file.startsWith('src/cli/') || /^src\/(cli|main|oclif-pjson)\.tsx?$/.test(file)

/** Imports that break a layer rule, as "from → to: why". */
function layerViolations(graph: Graph): string[] {
  const out: string[] = []
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = (() => {
        if (from.startsWith('src/core/') && !to.startsWith('src/core/')) return 'core imports only core'
        const cell = cellOf(from)
        if (cell !== undefined) {
          const other = cellOf(to)
          if (other !== undefined && other !== cell) return 'a cell imports no other cell'
          if (isCli(to)) return 'a cell imports nothing of the CLI'
        }
        if (from.startsWith('src/client/')) {
          if (isCli(to)) return 'the client layer imports nothing of the CLI'
          if (to.startsWith('src/cells/') && !/^src\/cells\/[^/]+\/messages\.ts$/.test(to)) return 'the client layer imports only the cells\u2019 message modules'
        }
        return undefined
      })()
      if (why) out.push(`${from} → ${to}: ${why}`)
    }
  }
  return out
}

/** Every import cycle (strongly connected component of more than one file, or a file importing itself). */
function cycles(graph: Graph): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('the layers of src/', () => {
  const graph = importGraph()

  it('reads the real source tree', () => {
    expect(graph.size).toBeGreaterThan(100)
    expect(graph.get('src/core/node/cell-instance.ts')).toContain('src/core/cell/types.ts')
  })

  it('core imports nothing from the cells, the client layer or the CLI; cells import no other cell', () => {
    expect(layerViolations(graph)).toEqual([])
  })

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([])
  })

  it('gives cells a plugin contract without platform types (src/core/cell imports no node: module, nor do the cells for HTTP)', () => {
    const found: string[] = []
    for (const file of [...graph.keys()].filter((f) => f.startsWith('src/core/cell/') || f.startsWith('src/cells/'))) {
      const text = readFileSync(join(ROOT, file), 'utf8')
      for (const m of text.matchAll(/from '(node:[^']+)'/g)) if (file.startsWith('src/core/cell/') || /^node:https?$/.test(m[1]!)) found.push(`${file} imports ${m[1]}`)
    }
    expect(found).toEqual([])
  })

  it('keeps src/core/wire to interfaces: no platform module, no class, no function, no value but the body-type and no-target constants', () => {
    const found: string[] = []
    for (const file of [...graph.keys()].filter((f) => f.startsWith('src/core/wire/'))) {
      const text = readFileSync(join(ROOT, file), 'utf8')
      for (const m of text.matchAll(/from '(node:[^']+)'/g)) found.push(`${file} imports ${m[1]}`)
      for (const m of text.matchAll(/^export (?:abstract )?class (\w+)/gm)) found.push(`${file} defines class ${m[1]}`)
      for (const m of text.matchAll(/^export (?:async )?function\*? ?(\w+)/gm)) found.push(`${file} defines function ${m[1]}`)
      for (const m of text.matchAll(/^export (?:const|let|var) (\w+)/gm)) if (!['BodyType', 'NO_TARGET'].includes(m[1]!)) found.push(`${file} defines value ${m[1]}`)
      for (const m of text.matchAll(/^import (?!type )/gm)) found.push(`${file} imports a value (${m.index})`)
    }
    expect(found).toEqual([])
  })

  it('would catch each kind of break', () => {
    const bad: Graph = new Map([
      ['src/core/node/a.ts', ['src/cells/shard/index.ts']],
      ['src/cells/fstream/b.ts', ['src/cells/shard/storage-organ.ts', 'src/commands/shard/get.ts']],
      ['src/client/c.ts', ['src/cells/shard/storage-organ.ts', 'src/cells/shard/messages.ts']],
      ['src/cells/shard/index.ts', []],
      ['src/cells/shard/storage-organ.ts', []],
      ['src/cells/shard/messages.ts', []],
      ['src/commands/shard/get.ts', []],
    ])
    expect(layerViolations(bad)).toHaveLength(4)
    const loop: Graph = new Map([
      ['src/core/sim/x.ts', ['src/core/sim/y.ts']],
      ['src/core/sim/y.ts', ['src/core/sim/z.ts']],
      ['src/core/sim/z.ts', ['src/core/sim/x.ts']],
      ['src/core/sim/self.ts', ['src/core/sim/self.ts']],
    ])
    expect(cycles(loop)).toEqual([['src/core/sim/x.ts', 'src/core/sim/y.ts', 'src/core/sim/z.ts'], ['src/core/sim/self.ts']])
  })
})
