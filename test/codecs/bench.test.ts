/** The benchmark's kinds (`borg bench wire` and its far side) through the codec properties of harness.ts. */
import fc from 'fast-check'
import { BENCH_CODECS, MAX_BENCH_BYTES } from '../../src/core/bench/bench-server.js'
import { describeCodecs } from './harness.js'

/** Any JSON value as it survives JSON (no -0). */
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown)

describeCodecs('bench', BENCH_CODECS, {
  sink: fc.uint8Array({ maxLength: 200 }),
  blob: fc.record({ size: fc.integer({ min: 0, max: MAX_BENCH_BYTES }) }),
  blobData: fc.uint8Array({ maxLength: 200 }),
  echo: json,
  echoReply: json,
})
