/**
 * Colour rules (https://no-color.org): only on a terminal, never with NO_COLOR,
 * FORCE_COLOR for terminals that are not detected; data on stdout, the rest on stderr.
 */
import { describe, expect, it } from 'vitest'
import { colorEnabled, logInfo, logWarn, printData, printJson, style } from '../../src/cli/output.js'
import { capture } from './harness.js'

const tty = { isTTY: true } as NodeJS.WriteStream
const pipe = { isTTY: false } as NodeJS.WriteStream

describe('colorEnabled', () => {
  it.each([
    ['a terminal', tty, {}, true],
    ['a pipe', pipe, {}, false],
    ['a terminal with NO_COLOR=1', tty, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR set to anything', tty, { NO_COLOR: 'yes' }, false],
    ['a terminal with an empty NO_COLOR (the spec says: ignore)', tty, { NO_COLOR: '' }, true],
    ['a dumb terminal', tty, { TERM: 'dumb' }, false],
    ['a pipe with FORCE_COLOR=1', pipe, { FORCE_COLOR: '1' }, true],
    ['a terminal with FORCE_COLOR=0', tty, { FORCE_COLOR: '0' }, false],
    ['a terminal with FORCE_COLOR=false', tty, { FORCE_COLOR: 'false' }, false],
    ['NO_COLOR and FORCE_COLOR together (NO_COLOR wins)', tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
  ] as const)('%s -> %s', (_what, stream, env, expected) => {
    expect(colorEnabled(stream, env)).toBe(expected)
  })
})

describe('style', () => {
  it('wraps text in SGR codes only when colour is enabled for that stream', () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR }
    try {
      delete process.env.NO_COLOR
      process.env.FORCE_COLOR = '1'
      expect(style('x', 'red', pipe)).toBe('\u001b[31mx\u001b[39m')
      process.env.NO_COLOR = '1'
      expect(style('x', 'red', tty)).toBe('x')
    } finally {
      for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v)
    }
  })
})

describe('streams', () => {
  it('data goes to stdout, logs and warnings to stderr', async () => {
    const result = await capture(async () => {
      printData('data')
      printJson({ a: 1 })
      logInfo('progress')
      logWarn('careful')
    })
    expect(result.stdout).toBe('data\n{\n  "a": 1\n}\n')
    expect(result.stderr).toMatch(/^progress\n.*warning:.* careful\n$/)
  })
})
