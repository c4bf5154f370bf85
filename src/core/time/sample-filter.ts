/**
 * What to make of the recent exchanges (docs/time.md §4). Every sample claims
 * the true offset lies within ±bound of its offset, the bound growing by the
 * drift since it was taken. If every claim is honest the truth lies in all of
 * them, so the filter keeps the last few samples and bounds the truth by their
 * intersection. The estimate is the offset of the sample with the shortest
 * round trip (NTP's clock filter: the least queueing, so the least room for
 * asymmetry), moved, if need be, to where the intersection's farther edge is
 * no farther than the tightest sample's bound; the bound is the distance to
 * that farther edge, so it is never looser than any single sample. (The intersection's
 * midpoint would be the midrange of the samples' offsets, at the mercy of the
 * two most delayed ones.) The estimate is computed when a sample arrives: the
 * offset is set once per sample.
 *
 * A sample that misses the intersection contradicts the others: an outlier,
 * held back. If the next sample agrees with it rather than with the old ones,
 * time really moved (the parent was corrected, say): the old samples are
 * dropped and the two new ones kept. Sans-I/O: callers pass monotonic `now`.
 */
import { agedBound } from './ntp.js'

export interface Sample {
  /** Network time minus local time, ms. */
  offsetMs: number
  /** Round trip without the parent's hold time, ms. */
  delayMs: number
  /** Error bound of offsetMs when it was taken, ms. */
  boundMs: number
  /** Local monotonic ms when it was taken (at t3). */
  at: number
  /** Node id of the parent it came from. */
  source: string
  /** Hops from the root: the parent's stratum + 1. */
  stratum: number
}

/** The samples' verdict at one instant. */
export interface Estimate {
  /** The shortest round trip's offset, moved into the intersection: the offset to use. */
  offsetMs: number
  /** The intersection: the true offset is in [lowMs, highMs]; offsetMs lies in it. */
  lowMs: number
  highMs: number
  /** The sample with the smallest bound now (for source and stratum). */
  tightest: Sample
}

/** What add() did with a sample. */
export type Verdict = 'accepted' | 'outlier' | 'restarted'

export const DEFAULT_SAMPLES = 16

/** Rounding tolerance of the overlap tests, ms. */
const OVERLAP_SLACK_MS = 1e-6

export class SampleFilter {
  private samples: Sample[] = []
  /** The last outlier, waiting for a second opinion. */
  private suspect: Sample | undefined

  constructor(
    readonly capacity = DEFAULT_SAMPLES,
    readonly driftPpm = 200,
  ) {
    if (!(capacity >= 1 && Number.isInteger(capacity))) throw new RangeError('sample capacity must be a positive integer')
    if (!(driftPpm >= 0 && driftPpm < Infinity)) throw new RangeError('drift must be finite and >= 0')
  }

  get size(): number {
    return this.samples.length
  }

  /** A sample's bound at monotonic time `now`. */
  boundOf(sample: Sample, now: number): number {
    return agedBound(sample.boundMs, now - sample.at, this.driftPpm)
  }

  /** The intersection of all kept samples now; undefined when none is kept. */
  estimate(now: number): Estimate | undefined {
    let lowMs = -Infinity
    let highMs = Infinity
    let tightest: Sample | undefined
    let tightestBound = Infinity
    let quickest: Sample | undefined
    for (const s of this.samples) {
      if (!quickest || s.delayMs <= quickest.delayMs) quickest = s // ties: the newer
      const bound = this.boundOf(s, now)
      lowMs = Math.max(lowMs, s.offsetMs - bound)
      highMs = Math.min(highMs, s.offsetMs + bound)
      if (bound < tightestBound) {
        tightest = s
        tightestBound = bound
      }
    }
    if (!tightest || !quickest) return undefined
    // Overlap was checked on the way in; rounding alone can cross the edges.
    if (lowMs > highMs) lowMs = highMs = (lowMs + highMs) / 2
    // Where in the intersection the farther edge is within the tightest sample's bound: not empty, since
    // the intersection lies inside that sample's interval. Keeps the bound no looser than any sample's.
    let from = Math.max(lowMs, highMs - tightestBound)
    let to = Math.min(highMs, lowMs + tightestBound)
    if (from > to) from = to = (lowMs + highMs) / 2
    return { offsetMs: Math.min(to, Math.max(from, quickest.offsetMs)), lowMs, highMs, tightest }
  }

  /** How far `offsetMs` can be from the truth now: to the farther edge of the intersection. Infinity when none is kept. */
  boundFor(offsetMs: number, now: number): number {
    const e = this.estimate(now)
    return e ? Math.max(offsetMs - e.lowMs, e.highMs - offsetMs) : Infinity
  }

  add(sample: Sample, now: number): Verdict {
    const e = this.estimate(now)
    if (e && !this.meets(sample, e.lowMs, e.highMs, now)) {
      const suspect = this.suspect
      if (suspect && this.meets(sample, suspect.offsetMs - this.boundOf(suspect, now), suspect.offsetMs + this.boundOf(suspect, now), now)) {
        this.samples = [suspect, sample]
        this.suspect = undefined
        return 'restarted'
      }
      this.suspect = sample
      return 'outlier'
    }
    this.suspect = undefined
    this.samples.push(sample)
    if (this.samples.length > this.capacity) this.samples.shift()
    return 'accepted'
  }

  /**
   * Replace the samples by one holding the current intersection exactly (it
   * ages the same way): a new parent starts the window over without losing
   * what is known.
   */
  collapse(now: number): void {
    const e = this.estimate(now)
    this.suspect = undefined
    if (!e) return
    // Centred on the intersection (not on the estimate, which may lie off centre); no round trip of its
    // own, so the first real sample from the new parent gives the estimate.
    this.samples = [{ ...e.tightest, offsetMs: (e.lowMs + e.highMs) / 2, boundMs: (e.highMs - e.lowMs) / 2, delayMs: Infinity, at: now }]
  }

  clear(): void {
    this.samples = []
    this.suspect = undefined
  }

  /** The local clock jumped by `stepMs`: every offset to it moves the other way. */
  shift(stepMs: number): void {
    const move = (s: Sample): Sample => ({ ...s, offsetMs: s.offsetMs - stepMs })
    this.samples = this.samples.map(move)
    if (this.suspect) this.suspect = move(this.suspect)
  }

  private meets(sample: Sample, lowMs: number, highMs: number, now: number): boolean {
    const bound = this.boundOf(sample, now)
    return sample.offsetMs + bound >= lowMs - OVERLAP_SLACK_MS && sample.offsetMs - bound <= highMs + OVERLAP_SLACK_MS
  }
}
