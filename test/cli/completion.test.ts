/**
 * `borg completion bash|zsh|fish`: made from the command table. The bash
 * script is run in a real bash, its completion function called as bash's
 * completion would call it.
 */
import { spawnSync } from 'node:child_process'
import type { Config } from '@oclif/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { completionScript } from '../../src/cli/completion.js'
import { COMMANDS } from '../../src/commands/index.js'
import { BorgError } from '../../src/core/errors.js'
import { dispatch, loadConfig } from '../../src/main.js'
import { TOPICS } from '../../src/oclif-pjson.js'
import { capture } from './harness.js'

let config: Config
beforeAll(async () => void (config = await loadConfig()))

/** What bash offers after `line` (the last word is the one being completed). */
function bashOffers(line: string): string[] {
  const words = line.split(' ')
  const quoted = words.map((w) => `'${w}'`).join(' ')
  const program = `${completionScript('bash', config)}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _borg; printf '%s\\n' "\${COMPREPLY[@]}"`
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' })
  expect(result.status, result.stderr).toBe(0)
  return result.stdout.split('\n').filter(Boolean)
}

describe('bash completion', () => {
  it('offers every topic, version and completion first', () => {
    expect(bashOffers('borg ')).toEqual(expect.arrayContaining([...Object.keys(TOPICS), 'version', 'completion', '--help']))
  })
  it("offers a topic's commands, and completes a prefix", () => {
    const shardCommands = Object.keys(COMMANDS).filter((id) => id.startsWith('shard:') && !COMMANDS[id]!.hidden).map((id) => id.split(':')[1])
    expect(bashOffers('borg shard ').sort()).toEqual([...shardCommands, '--help'].sort())
    expect(bashOffers('borg shard pu')).toEqual(['put'])
  })
  it("offers a command's flags after its arguments, and leaves arguments to file completion", () => {
    expect(bashOffers('borg shard get 3f9a --')).toEqual(expect.arrayContaining(['--output', '--identity', '--quiet', '--json', '--help']))
    expect(bashOffers('borg shard put ')).toEqual([])
  })
  it('offers the shells after completion', () => {
    expect(bashOffers('borg completion ')).toEqual(['bash', 'zsh', 'fish'])
  })
})

describe('zsh and fish', () => {
  it('zsh runs the same table through bashcompinit', () => {
    const zsh = completionScript('zsh', config)
    expect(zsh).toContain('bashcompinit')
    expect(zsh).toContain('"shard get"|"shard get "*)')
  })
  it('fish lists every topic and every command with its flags', () => {
    const fish = completionScript('fish', config)
    for (const topic of Object.keys(TOPICS)) expect(fish).toContain(`-n '__borg_typed' -a ${topic} `)
    for (const { id } of config.commands.filter((c) => !c.hidden)) {
      const [topic, command] = id.split(':')
      if (command === undefined) continue // a topic that is itself a command (`borg services`): listed with the topics
      expect(fish).toContain(`-n '__borg_typed ${topic}' -a ${command} `)
    }
    expect(fish).toContain(`-n '__borg_after shard get' -l output -s o `)
    expect(fish).toContain(`-n '__borg_after services' -l cell `)
    const fishBin = spawnSync('fish', ['--version'])
    if (fishBin.status === 0) expect(spawnSync('fish', ['--no-execute', '-c', fish]).status).toBe(0)
  })
})

describe('borg completion', () => {
  it('prints the script for the shell named', async () => {
    const result = await capture(() => dispatch(['completion', 'bash'], config))
    expect(result.error).toBeUndefined()
    expect(result.stdout).toContain('complete -o default -F _borg borg')
  })
  it('explains itself with --help, and refuses an unknown shell or none (exit 2)', async () => {
    expect((await capture(() => dispatch(['completion', '--help'], config))).stdout).toContain('borg completion bash|zsh|fish')
    for (const argv of [['completion', 'tcsh'], ['completion']]) {
      const result = await capture(() => dispatch(argv, config))
      expect(result.error).toBeInstanceOf(BorgError)
      expect((result.error as BorgError).exitCode).toBe(2)
    }
  })
})
