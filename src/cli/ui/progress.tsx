/**
 * Transfer progress on stderr, whenever stderr is a terminal (whatever stdout
 * is: `shard get ID | tar xz` shows it too); never on a pipe or a file, so
 * data stays alone on stdout and logs see no escape codes. A terminal that is
 * narrow, reports no width (0 columns) or is `TERM=dumb` gets plain lines, at
 * most one every 2 s, instead of a redrawn bar: ink on a zero-width terminal
 * printed one character per line and cleared the screen again and again.
 */
import React from 'react'
import { Text, render, type Instance } from 'ink'
import { formatSize } from '../../core/storage/size.js'

const BAR_WIDTH = 30
/** Room the bar's figures take after the label ("100% 999.9 MiB of 999.9 MiB 99.9 MiB/s"). */
const FIGURES_WIDTH = 50
const REDRAW_MS = 100
const LINE_EVERY_MS = 2_000

interface State {
  done: number
  total?: number
}

function figures(label: string, { done, total }: State, startedAt: number, now: number): { percent?: string; text: string } {
  const seconds = Math.max(0.001, (now - startedAt) / 1000)
  const rate = `${formatSize(done / seconds)}/s`
  if (!total) return { text: `${label} ${formatSize(done)} ${rate}` }
  const percent = `${((100 * Math.min(done, total)) / total).toFixed(0)}%`
  return { percent, text: `${formatSize(done)} of ${formatSize(total)} ${rate}` }
}

function Bar({ label, state, startedAt }: { label: string; state: State; startedAt: number }) {
  const f = figures(label, state, startedAt, Date.now())
  if (!state.total) return <Text>{f.text}</Text>
  const filled = Math.round((Math.min(state.done, state.total) / state.total) * BAR_WIDTH)
  return (
    <Text>
      {`${label} `}
      <Text color="green">{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(BAR_WIDTH - filled)}</Text>
      {` ${f.percent} ${f.text}`}
    </Text>
  )
}

export interface Progress {
  update(done: number, total?: number): void
  finish(): void
}

export type ProgressMode = 'off' | 'lines' | 'bar'

/** The stream progress is written to: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): unknown
}

export interface ProgressOptions {
  /** False with --json or -q/--quiet. */
  enabled: boolean
  stream?: ProgressStream
  env?: NodeJS.ProcessEnv
  now?: () => number
}

/** Off unless wanted and on a terminal; a bar only where one fits on a line. */
export function progressMode(label: string, enabled: boolean, stream: ProgressStream, env: NodeJS.ProcessEnv): ProgressMode {
  if (!enabled || !stream.isTTY) return 'off'
  const columns = stream.columns ?? 0
  if (env.TERM === 'dumb' || columns < label.length + 1 + BAR_WIDTH + FIGURES_WIDTH) return 'lines'
  return 'bar'
}

export function progressBar(label: string, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? Date.now
  const mode = progressMode(label, options.enabled, stream, options.env ?? process.env)
  if (mode === 'off') return { update() {}, finish() {} }
  const startedAt = now()
  let state: State = { done: 0 }
  let last = -Infinity
  let finished = false
  if (mode === 'lines') {
    const line = () => {
      const f = figures(label, state, startedAt, now())
      stream.write(f.percent ? `${label} ${f.percent} ${f.text}\n` : `${f.text}\n`)
    }
    return {
      update(done, total) {
        state = { done, total }
        if (now() - last < LINE_EVERY_MS) return
        last = now()
        line()
      },
      finish() {
        if (finished || last === -Infinity) return
        finished = true
        line()
      },
    }
  }
  let instance: Instance | undefined
  const draw = () => {
    const element = <Bar label={label} state={state} startedAt={startedAt} />
    if (instance) instance.rerender(element)
    else instance = render(element, { stdout: stream as unknown as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false })
  }
  return {
    update(done, total) {
      state = { done, total }
      if (now() - last < REDRAW_MS) return
      last = now()
      draw()
    },
    finish() {
      if (finished || !instance) return
      finished = true
      draw()
      instance.unmount()
    },
  }
}
