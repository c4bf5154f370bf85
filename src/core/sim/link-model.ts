/**
 * How a one-way link behaves. Links are directional: A->B and B->A are set
 * separately, which is how asymmetric routes (and the clock-sync error they
 * cause) are modelled. A message crossing a link takes
 * latencyMs + jitterMs·u (u uniform in [0, 1)); its answer crosses the reverse link.
 */
export interface LinkModel {
  /** One-way base latency, ms. */
  latencyMs: number
  /** Extra uniformly random delay in [0, jitterMs), ms; may reorder messages. */
  jitterMs: number
  /** Probability a message (or its answer) is lost on this link. */
  loss: number
  /** Probability a delivered message arrives twice. */
  duplicate: number
}

/** Fields left out fall back to the network's default link. */
export type LinkOptions = Partial<LinkModel>

/** Per-message link choice by function; return undefined for the default. */
export type LinkFunction = (fromId: string, toId: string) => LinkOptions | undefined

export const DEFAULT_LINK: LinkModel = { latencyMs: 20, jitterMs: 0, loss: 0, duplicate: 0 }

export function checkLink(options: LinkOptions): LinkOptions {
  const { latencyMs, jitterMs, loss, duplicate } = options
  if (latencyMs !== undefined && !(latencyMs >= 0 && latencyMs < Infinity)) throw new RangeError(`latencyMs must be >= 0, got ${latencyMs}`)
  if (jitterMs !== undefined && !(jitterMs >= 0 && jitterMs < Infinity)) throw new RangeError(`jitterMs must be >= 0, got ${jitterMs}`)
  if (loss !== undefined && !(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be in [0, 1], got ${loss}`)
  if (duplicate !== undefined && !(duplicate >= 0 && duplicate <= 1)) throw new RangeError(`duplicate must be in [0, 1], got ${duplicate}`)
  return { ...options }
}
