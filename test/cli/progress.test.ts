/**
 * Transfer progress: on a terminal's stderr whatever stdout is, never on a
 * pipe, off with --json or -q, and plain lines where a bar cannot fit (a
 * terminal reporting 0 columns made ink print one character per line and clear
 * the screen over and over).
 */
import { describe, expect, it } from 'vitest'
import { progressBar, progressMode, type ProgressStream } from '../../src/cli/ui/progress.js'

function fakeTerminal(columns: number | undefined, isTTY = true): ProgressStream & { text: () => string } {
  const written: string[] = []
  return { isTTY, columns, write: (t: string) => written.push(t), text: () => written.join('') }
}

describe('progress mode', () => {
  const label = 'get 3f9a0c1d2e4b…'
  it('is off on a pipe or a file, and when not wanted (--json, -q)', () => {
    expect(progressMode(label, true, fakeTerminal(120, false), {})).toBe('off')
    expect(progressMode(label, false, fakeTerminal(120), {})).toBe('off')
  })
  it('is a bar on a terminal wide enough for one', () => {
    expect(progressMode(label, true, fakeTerminal(120), {})).toBe('bar')
  })
  it('is plain lines on a terminal of 0 columns, a narrow one, or TERM=dumb', () => {
    expect(progressMode(label, true, fakeTerminal(0), {})).toBe('lines')
    expect(progressMode(label, true, fakeTerminal(undefined), {})).toBe('lines')
    expect(progressMode(label, true, fakeTerminal(60), {})).toBe('lines')
    expect(progressMode(label, true, fakeTerminal(200), { TERM: 'dumb' })).toBe('lines')
  })
})

describe('plain-line progress', () => {
  it('writes whole lines without escape codes, at most one every 2 s, and a last one at the end', () => {
    const terminal = fakeTerminal(0)
    let now = 0
    const bar = progressBar('put big.iso', { enabled: true, stream: terminal, env: {}, now: () => now })
    const total = 40 * 2 ** 20
    // A 10-second transfer reported every 50 ms: 200 updates.
    for (let t = 0; t <= 10_000; t += 50) {
      now = t
      bar.update(Math.round((t / 10_000) * total), total)
    }
    bar.finish()
    bar.finish()
    const text = terminal.text()
    expect(text).not.toContain('\u001b')
    const lines = text.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(5)
    expect(lines.length).toBeLessThanOrEqual(7)
    for (const line of lines) expect(line).toMatch(/^put big\.iso \d+% [\d.]+ \S+ of 40(\.0)? MiB [\d.]+ \S+\/s$/)
    expect(lines.at(-1)).toMatch(/^put big\.iso 100% /)
  })

  it('writes nothing when off', () => {
    const pipe = fakeTerminal(120, false)
    const bar = progressBar('get x', { enabled: true, stream: pipe, env: {} })
    bar.update(1, 2)
    bar.finish()
    expect(pipe.text()).toBe('')
  })
})
