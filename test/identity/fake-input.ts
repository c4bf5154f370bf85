/** A scripted SecretInput: answers come from arrays, prompts and warnings are recorded. */
import type { SecretInput } from '../../src/core/identity/secret-input.js'

export interface FakeInput extends SecretInput {
  prompts: string[]
  warnings: string[]
}

export function fakeInput(script: { interactive?: boolean; stdin?: string; lines?: string[]; hidden?: string[] } = {}): FakeInput {
  const lines = [...(script.lines ?? [])]
  const hidden = [...(script.hidden ?? [])]
  const prompts: string[] = []
  const warnings: string[] = []
  const next = (queue: string[], question: string): Promise<string> => {
    prompts.push(question)
    const answer = queue.shift()
    return answer === undefined ? Promise.reject(new Error(`unexpected prompt: ${question}`)) : Promise.resolve(answer)
  }
  return {
    interactive: script.interactive ?? false,
    prompts,
    warnings,
    askLine: (question) => next(lines, question),
    askHidden: (question) => next(hidden, question),
    readAll: async () => {
      if (script.stdin === undefined) throw new Error('unexpected stdin read')
      return script.stdin
    },
    warn: (text) => void warnings.push(text),
  }
}

export const ABANDON_ABOUT = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'
