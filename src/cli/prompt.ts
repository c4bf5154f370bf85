/**
 * Terminal prompts. Questions go to stderr so stdout stays clean data;
 * passphrases are read in raw mode without echo. Streams are injected so
 * tests drive the prompts with fake terminals.
 */
import { createInterface } from 'node:readline'
import { StringDecoder } from 'node:string_decoder'
import { BorgError } from '../core/errors.js'
import type { SecretInput } from '../core/identity/secret-input.js'
import { style } from './output.js'

export interface PromptInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  isRaw?: boolean
  setRawMode?(mode: boolean): unknown
}

export interface PromptStreams {
  input: PromptInput
  output: NodeJS.WritableStream
}

const MAX_STDIN_BYTES = 64 * 1024

function cancelled(): BorgError {
  return new BorgError('refused', 'cancelled at the prompt; nothing was changed')
}

// Terminal escape sequences (arrow and function keys) are not part of a passphrase.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?/gu

/** Read one line without echo. Enter ends it; Backspace deletes; Ctrl-U clears; Ctrl-C (or Ctrl-D on an empty line) cancels. */
export function readHidden(question: string, { input, output }: PromptStreams): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return readLine(question, { input, output })
  const setRawMode = input.setRawMode.bind(input)
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8')
    const chars: string[] = []
    const wasRaw = Boolean(input.isRaw)
    const finish = (error?: Error): void => {
      input.removeListener('data', onData)
      input.removeListener('end', onEnd)
      setRawMode(wasRaw)
      input.pause()
      output.write('\n')
      if (error) reject(error)
      else resolve(chars.join(''))
    }
    const onEnd = (): void => finish(cancelled())
    const onData = (chunk: Buffer | string): void => {
      const text = (typeof chunk === 'string' ? chunk : decoder.write(chunk)).replace(ESCAPE_SEQUENCE, '')
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003') return finish(cancelled())
        if (ch === '\u0004') {
          if (chars.length === 0) return finish(cancelled())
        } else if (ch === '\u007f' || ch === '\b') chars.pop()
        else if (ch === '\u0015') chars.length = 0
        else if (ch >= ' ') chars.push(ch)
      }
    }
    setRawMode(true) // before the question appears, so nothing typed after it can echo
    output.write(question)
    input.on('data', onData)
    input.on('end', onEnd)
    input.resume()
  })
}

/** Read one echoed line. Ctrl-C or end of input cancels. */
export function readLine(question: string, { input, output }: PromptStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output, terminal: Boolean(input.isTTY) })
    let answered = false
    rl.on('SIGINT', () => rl.close())
    rl.on('close', () => {
      if (!answered) {
        output.write('\n')
        reject(cancelled())
      }
    })
    rl.question(question, (answer) => {
      answered = true
      rl.close()
      resolve(answer)
    })
  })
}

/** All of a (non-terminal) input stream as UTF-8, refusing more than 64 KiB. */
export async function readAll(input: NodeJS.ReadableStream, maxBytes = MAX_STDIN_BYTES): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
    size += bytes.length
    if (size > maxBytes) throw new BorgError('invalid-input', `stdin is larger than ${maxBytes} bytes; expected a few words`)
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** SecretInput over real (or injected) streams: stdin for answers, stderr for questions and warnings. */
export function terminalInput(streams: PromptStreams = { input: process.stdin, output: process.stderr }): SecretInput {
  return {
    interactive: Boolean(streams.input.isTTY),
    askLine: (question) => readLine(question, streams),
    askHidden: (question) => readHidden(question, streams),
    readAll: () => readAll(streams.input),
    warn: (text) => void streams.output.write(`${style('warning:', 'yellow', process.stderr)} ${text}\n`),
  }
}

/** Commands get their SecretInput here; tests replace `open` to feed answers without a real stdin. */
export const terminal = {
  open: (): SecretInput => terminalInput(),
}
