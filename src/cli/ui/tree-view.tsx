/** `borg node tree` on a terminal: the live tree, refreshed every second (ink). */
import React, { useEffect, useState } from 'react'
import { Box, Text, render, useApp, useInput } from 'ink'
import { renderTree, type TreeSnapshot } from '../../core/node/tree-render.js'

interface Props {
  load: () => Promise<TreeSnapshot>
  self: string
  limit: number
  intervalMs: number
}

function TreeView({ load, self, limit, intervalMs }: Props) {
  const [tree, setTree] = useState<TreeSnapshot | undefined>()
  const [error, setError] = useState<string | undefined>()
  const { exit } = useApp()
  useInput((input, key) => {
    if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit()
  })
  useEffect(() => {
    let stopped = false
    const tick = () =>
      load().then(
        (t) => !stopped && (setTree(t), setError(undefined)),
        (e: Error) => !stopped && setError(e.message),
      )
    void tick()
    const timer = setInterval(tick, intervalMs)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [])
  if (!tree) return <Text dimColor>{error ?? 'loading the tree…'}</Text>
  const { header, lines, omitted } = renderTree(tree, { limit, highlight: self })
  return (
    <Box flexDirection="column">
      <Text bold>{header}</Text>
      {lines.map((line) => (
        <Text key={line.position} color={line.position === 1 ? 'yellow' : line.id === self ? 'green' : undefined}>
          {line.text}
        </Text>
      ))}
      {omitted > 0 ? <Text dimColor>… {omitted} more nodes (--limit)</Text> : null}
      <Text dimColor>{error ? `refresh failed: ${error}` : `refreshing every ${intervalMs / 1000} s · q to quit`}</Text>
    </Box>
  )
}

export async function showLiveTree(props: Props): Promise<void> {
  const app = render(<TreeView {...props} />, { stdout: process.stdout, stdin: process.stdin, exitOnCtrlC: true })
  await app.waitUntilExit()
}
