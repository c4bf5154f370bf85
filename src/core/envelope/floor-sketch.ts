/**
 * Floors for senders the replay cache no longer tracks individually. A
 * forgotten sender's floor goes into one of a fixed number of buckets (chosen
 * by a keyed hash of its key id, so nobody outside can aim at a bucket); a
 * sender seen again starts from its bucket's floor. A bucket only ever rises,
 * and only to timestamps its own senders used, so a flood of fresh identities
 * can raise a few buckets, never every sender's floor at once.
 */
import { sha256 } from '../crypto/hash.js'
import { utf8 } from '../bytes.js'
import { type Random } from '../wire/random.js'
import { cryptoRandom } from '../crypto/random.js'

export class FloorSketch {
  private readonly floors: Float64Array
  private readonly key: Uint8Array

  constructor(buckets: number, random: Random = cryptoRandom) {
    if (!Number.isSafeInteger(buckets) || buckets < 1) throw new RangeError('a floor sketch needs at least one bucket')
    this.floors = new Float64Array(buckets).fill(-Infinity)
    this.key = random.bytes(16)
  }

  floor(sender: string): number {
    return this.floors[this.bucket(sender)]!
  }

  raise(sender: string, floor: number): void {
    const b = this.bucket(sender)
    if (floor > this.floors[b]!) this.floors[b] = floor
  }

  private bucket(sender: string): number {
    const h = sha256(this.key, utf8.encode(sender))
    return (((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0) % this.floors.length
  }
}
