/** docs/architecture.md draws every folder of src/, and every folder with more than a few files has a README. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

function folders(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory())
    .flatMap((path) => [path, ...folders(path)])
}

describe('docs/architecture.md and the folders of src/', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8')
  const all = folders(join(ROOT, 'src')).map((path) => relative(ROOT, path))

  it('names every folder (a command topic is covered by src/commands/)', () => {
    const missing = all.filter((f) => !f.startsWith('src/commands/') && !f.startsWith('src/cells/') && !doc.includes(`${f}/`))
    expect(missing).toEqual([])
  })

  it('gives every folder of more than five files a README', () => {
    // A command topic's folder is described by src/commands/README.md.
    const described = (f: string) => existsSync(join(ROOT, f, 'README.md')) || (f.startsWith('src/commands/') && existsSync(join(ROOT, 'src/commands/README.md')))
    const bare = all.filter((f) => readdirSync(join(ROOT, f)).filter((n) => /\.tsx?$/.test(n)).length > 5 && !described(f))
    expect(bare).toEqual([])
  })
})
