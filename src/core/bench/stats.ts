/** Tiny statistics for benchmark output. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Run `fn` repeatedly for about `ms` milliseconds (after a warm-up) and return operations per second. */
export function opsPerSecond(fn: () => void, ms: number, warmup = 50): number {
  for (let i = 0; i < warmup; i++) fn()
  const start = performance.now()
  let n = 0
  let elapsed = 0
  while ((elapsed = performance.now() - start) < ms) {
    for (let i = 0; i < 10; i++) fn()
    n += 10
  }
  return (n * 1000) / elapsed
}
