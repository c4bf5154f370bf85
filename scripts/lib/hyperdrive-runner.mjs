// The child side of scripts/lib/hyperdrive-baseline.ts. hyperdrive-baseline.ts copies this file
// into the Hyperdrive cache directory (outside the repo) so that its imports resolve against that
// directory's node_modules; it is never run from scripts/lib and the repo does not depend on these
// packages.
//
//   node hyperdrive-runner.mjs put FILE DIR   process A: writes FILE into a new Hyperdrive, prints
//        {"key","port","putMs","bytes","cpuMs","opCpuMs","maxRssKb"} on one stdout line, serves
//        the drive on 127.0.0.1:port until stdin closes, then prints {"serveCpuMs","maxRssKb"}
//   node hyperdrive-runner.mjs get KEY PORT DIR   process B: replicates drive KEY from
//        127.0.0.1:PORT, reads the file, prints {"getMs","bytes","sha256","cpuMs","opCpuMs","maxRssKb"}
//
// One Corestore (on disk under DIR) and one Hyperdrive per process. No Hyperswarm, no DHT: the two
// stores replicate over one plain TCP connection on 127.0.0.1, each side piping the socket through
// `store.replicate(isInitiator)` (the Noise-encrypted, Protomux-multiplexed stream Hyperswarm would
// otherwise wrap around its own sockets), which carries both of the drive's cores (the Hyperbee of
// entries and the Hyperblobs core of content). The file is written with `drive.createWriteStream`
// in 64 KiB pieces read from disk: 64 KiB is Hyperblobs' block size (what `drive.put` would cut), and
// the write stream makes one block of each piece and appends them 16 at a time.
// cpuMs is process.cpuUsage() (user + system) when the operation ends, so it includes the process
// start and store open, like a whole CLI command; opCpuMs is the operation's share alone.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { join } from 'node:path'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'

const PATH = '/file'
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const maxRssKb = () => process.resourceUsage().maxRSS
const say = (line) => process.stderr.write(`hyperdrive-runner ${process.argv[2]}: ${line}\n`)
const print = (value) => new Promise((resolve) => process.stdout.write(`${JSON.stringify(value)}\n`, resolve))

/** Resolves once stdin ends (the parent's signal to stop) or the parent goes away. */
const stdinClosed = () => {
  process.stdin.resume()
  return new Promise((resolve) => {
    process.stdin.once('end', resolve)
    process.stdin.once('close', resolve)
    process.stdin.once('error', resolve)
  })
}

/** Pipes a TCP socket through the store's replication stream, both ways; errors end it quietly. */
function replicate(store, socket, isInitiator) {
  const stream = store.replicate(isInitiator)
  stream.on('error', () => {})
  socket.on('error', () => {})
  socket.pipe(stream).pipe(socket)
  return stream
}

async function put(file, dir) {
  const store = new Corestore(join(dir, 'store'))
  const drive = new Hyperdrive(store)
  await drive.ready()
  const cpu0 = cpuMs()
  const t0 = performance.now()
  const ws = drive.createWriteStream(PATH)
  const written = new Promise((resolve, reject) => {
    ws.once('finish', resolve)
    ws.once('error', reject)
  })
  written.catch(() => {}) // awaited below; this only keeps an early failure from being "unhandled"
  let bytes = 0
  let drained
  ws.on('drain', () => drained?.())
  for await (const piece of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    bytes += piece.length
    if (!ws.write(piece)) await Promise.race([new Promise((resolve) => (drained = resolve)), written])
  }
  ws.end()
  await written // the entry is in the Hyperbee once the write stream finishes
  const putMs = performance.now() - t0
  const cpuEnd = cpuMs()

  // Serve on one TCP socket on loopback; the serving CPU counts from the first connection to stdin's end.
  let serveCpu0
  const sockets = new Set()
  const server = createServer((socket) => {
    serveCpu0 ??= cpuMs()
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    replicate(store, socket, false)
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const key = drive.key.toString('hex')
  await print({ key, port: server.address().port, putMs, bytes, cpuMs: cpuEnd, opCpuMs: cpuEnd - cpu0, maxRssKb: maxRssKb() })
  await stdinClosed()
  await print({ serveCpuMs: serveCpu0 === undefined ? 0 : cpuMs() - serveCpu0, maxRssKb: maxRssKb() })
  for (const socket of sockets) socket.destroy()
  server.close()
  await Promise.race([drive.close().then(() => store.close()), new Promise((r) => setTimeout(r, 5000))])
}

async function get(keyHex, port, dir) {
  // Stop when the parent goes away (it closes stdin once it has the result, too).
  void stdinClosed().then(() => process.exit(0))
  const store = new Corestore(join(dir, 'store'))
  const drive = new Hyperdrive(store, Buffer.from(keyHex, 'hex'))
  await drive.ready()
  const cpu0 = cpuMs()
  const t0 = performance.now()
  // While "finding peers", update() waits for the one peer instead of answering from the empty local copy.
  const found = drive.findingPeers()
  const socket = createConnection({ host: '127.0.0.1', port: Number(port) })
  replicate(store, socket, true)
  // Fail at once, rather than at the parent's timeout, when the connection is refused or lost.
  const lost = new Promise((_, reject) => socket.once('close', () => reject(new Error(`connection to 127.0.0.1:${port} closed`))))
  lost.catch(() => {})
  const hash = createHash('sha256')
  let bytes = 0
  const read = async () => {
    await drive.update()
    found()
    for await (const piece of drive.createReadStream(PATH)) {
      hash.update(piece)
      bytes += piece.length
    }
  }
  await Promise.race([read(), lost])
  const getMs = performance.now() - t0
  const cpuEnd = cpuMs()
  await print({ getMs, bytes, sha256: hash.digest('hex'), cpuMs: cpuEnd, opCpuMs: cpuEnd - cpu0, maxRssKb: maxRssKb() })
  socket.destroy()
}

const [mode, ...rest] = process.argv.slice(2)
try {
  if (mode === 'put') await put(rest[0], rest[1])
  else if (mode === 'get') await get(rest[0], rest[1], rest[2])
  else throw new Error(`unknown mode ${mode}`)
  process.exit(0)
} catch (err) {
  say(`failed: ${err?.stack ?? err}`)
  process.exit(1)
}
