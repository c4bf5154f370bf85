import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readAll, readHidden, readLine, terminalInput, type PromptInput } from '../../src/cli/prompt.js'
import { BorgError } from '../../src/core/errors.js'

/** A fake terminal: keystrokes are written to `input`; everything shown is collected from `output`. */
function fakeTty(tty = true) {
  const input = new PassThrough() as PassThrough & PromptInput
  const modes: boolean[] = []
  if (tty) {
    input.isTTY = true
    input.isRaw = false
    input.setRawMode = (mode: boolean) => {
      modes.push(mode)
      input.isRaw = mode
      return input
    }
  }
  const output = new PassThrough()
  let shown = ''
  output.on('data', (d: Buffer) => (shown += d.toString()))
  return { input, output, modes, shown: () => shown }
}

describe('readHidden', () => {
  it('reads without echo, in raw mode, restoring the mode afterwards', async () => {
    const t = fakeTty()
    const answer = readHidden('Passphrase: ', t)
    t.input.write('s3cret\r')
    expect(await answer).toBe('s3cret')
    expect(t.shown()).toBe('Passphrase: \n')
    expect(t.modes).toEqual([true, false])
  })

  it('handles backspace, Ctrl-U, arrow keys and multi-byte characters split across chunks', async () => {
    const t = fakeTty()
    const answer = readHidden('? ', t)
    t.input.write('junk\u0015') // Ctrl-U clears
    t.input.write('abx\u007f') // Backspace deletes x
    t.input.write('\u001b[D') // left arrow: ignored
    const euro = Buffer.from('€')
    t.input.write(euro.subarray(0, 1))
    t.input.write(Buffer.concat([euro.subarray(1), Buffer.from('\n')]))
    expect(await answer).toBe('ab€')
  })

  it('Ctrl-C cancels and restores the terminal', async () => {
    const t = fakeTty()
    const answer = readHidden('? ', t)
    t.input.write('abc\u0003')
    const error = await answer.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BorgError)
    expect((error as BorgError).code).toBe('refused')
    expect(t.modes).toEqual([true, false])
  })

  it('Ctrl-D on an empty line cancels', async () => {
    const t = fakeTty()
    const answer = readHidden('? ', t)
    t.input.write('\u0004')
    await expect(answer).rejects.toBeInstanceOf(BorgError)
  })

  it('accepts an empty answer (Enter alone)', async () => {
    const t = fakeTty()
    const answer = readHidden('? ', t)
    t.input.write('\r')
    expect(await answer).toBe('')
  })
})

describe('readLine and readAll', () => {
  it('readLine prompts on the output stream and returns the line', async () => {
    const t = fakeTty(false)
    const answer = readLine('Words: ', t)
    t.input.write('abandon about\n')
    expect(await answer).toBe('abandon about')
    expect(t.shown()).toContain('Words: ')
  })

  it('readLine rejects when input ends first', async () => {
    const t = fakeTty(false)
    const answer = readLine('Words: ', t)
    t.input.end()
    await expect(answer).rejects.toBeInstanceOf(BorgError)
  })

  it('readAll reads everything and refuses huge input', async () => {
    const small = new PassThrough()
    small.end('one\ntwo\n')
    expect(await readAll(small)).toBe('one\ntwo\n')
    const big = new PassThrough()
    big.end('x'.repeat(100))
    await expect(readAll(big, 10)).rejects.toBeInstanceOf(BorgError)
  })

  it('terminalInput is interactive only on a TTY and warns on its output', async () => {
    const tty = fakeTty()
    expect(terminalInput(tty).interactive).toBe(true)
    const pipe = fakeTty(false)
    const input = terminalInput(pipe)
    expect(input.interactive).toBe(false)
    input.warn('careful')
    expect(pipe.shown()).toMatch(/warning:.*careful/)
    pipe.input.end('words here')
    expect(await input.readAll()).toBe('words here')
  })
})
