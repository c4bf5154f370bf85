/**
 * A transfer progress bar on stderr (ink), only when stderr is a terminal:
 * data stays alone on stdout and pipelines see no escape codes.
 */
import React from 'react'
import { Text, render, type Instance } from 'ink'
import { formatSize } from '../../core/storage/size.js'

interface Props {
  label: string
  done: number
  total?: number
  startedAt: number
}

function Bar({ label, done, total, startedAt }: Props) {
  const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000)
  const rate = `${formatSize(done / seconds)}/s`
  if (!total) return <Text>{`${label} ${formatSize(done)} ${rate}`}</Text>
  const width = 30
  const filled = Math.round((Math.min(done, total) / total) * width)
  return (
    <Text>
      {`${label} `}
      <Text color="green">{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(width - filled)}</Text>
      {` ${((100 * Math.min(done, total)) / total).toFixed(0)}% ${formatSize(done)} of ${formatSize(total)} ${rate}`}
    </Text>
  )
}

export interface Progress {
  update(done: number, total?: number): void
  finish(): void
}

/** A progress bar for `label`, or a no-op when stderr is not a terminal (or output is JSON). */
export function progressBar(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, finish() {} }
  const startedAt = Date.now()
  let instance: Instance | undefined
  let last = 0
  let state = { done: 0, total: undefined as number | undefined }
  const draw = () => {
    const element = <Bar label={label} done={state.done} total={state.total} startedAt={startedAt} />
    if (instance) instance.rerender(element)
    else instance = render(element, { stdout: process.stderr as unknown as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false })
  }
  return {
    update(done, total) {
      state = { done, total }
      const now = Date.now()
      if (now - last >= 100) {
        last = now
        draw()
      }
    },
    finish() {
      if (!instance) return
      draw()
      instance.unmount()
    },
  }
}
