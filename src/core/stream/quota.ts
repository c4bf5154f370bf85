/**
 * What a node lets accepted streams take (docs/protocol.md §9.7): bytes
 * reserved by unfinished streams (their declared size, from the moment they
 * are accepted) plus the files they left in received/, at most `quotaBytes`;
 * at most `maxStreams` unfinished streams; and never more than the disk has
 * free, minus a margin. An offer is checked against all three before any
 * file is created for it.
 */
import { statfs } from 'node:fs/promises'

export interface StreamLimits {
  /** Bytes of unfinished and received streams together (BORG_STREAM_QUOTA, default 10G). */
  quotaBytes: number
  /** Unfinished streams at once, running or waiting to resume (BORG_STREAM_MAX, default 8). */
  maxStreams: number
  /** A partial that made no progress for this long is removed, freeing its share (BORG_STREAM_STALE_MS, default 24 h). */
  staleMs: number
  /** Disk left free whatever the quota says. */
  diskMarginBytes: number
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  quotaBytes: 10 * 1024 ** 3,
  maxStreams: 8,
  staleMs: 24 * 60 * 60_000,
  diskMarginBytes: 64 * 1024 ** 2,
}

export interface StreamUsage {
  /** Files in received/. */
  receivedBytes: number
  /** Declared sizes of unfinished streams. */
  unfinishedBytes: number
  unfinishedStreams: number
  /** What unfinished streams still have to write. */
  toWriteBytes: number
}

/** Why an offer of `size` new bytes does not fit, or undefined when it does. */
export function refusal(size: number, usage: StreamUsage, limits: StreamLimits, freeDiskBytes: number): string | undefined {
  const taken = usage.receivedBytes + usage.unfinishedBytes
  if (usage.unfinishedStreams >= limits.maxStreams) {
    return `streams: this node already has ${usage.unfinishedStreams} unfinished streams (at most ${limits.maxStreams})`
  }
  if (taken + size > limits.quotaBytes) {
    return `quota: the stream needs ${size} bytes; ${taken} of ${limits.quotaBytes} are taken (${usage.unfinishedBytes} by ${usage.unfinishedStreams} unfinished streams, ${usage.receivedBytes} by received files)`
  }
  if (size + usage.toWriteBytes + limits.diskMarginBytes > freeDiskBytes) {
    return `disk: the stream needs ${size} bytes and unfinished streams ${usage.toWriteBytes} more, but the disk has ${freeDiskBytes} free (${limits.diskMarginBytes} kept spare)`
  }
  return undefined
}

/** Free bytes for an unprivileged writer on the filesystem holding `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  const s = await statfs(dir)
  return s.bavail * s.bsize
}
