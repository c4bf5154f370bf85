#!/usr/bin/env bash
# Smoke test of a compiled borg binary: usage: test/smoke/binary.sh BINARY
#
# It uses only the binary and standard shell tools (no node, npm or jq), so it shows
# what a user who downloaded the binary gets. Run it from a directory with no
# node_modules above it, where nothing can be resolved from a source tree.
# Every check prints "ok - ..." or stops with "FAIL: ..." and exit 1.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BINARY" >&2; exit 64; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[[ -x $BIN ]] || { echo "FAIL: $1 is not an executable file" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  # Nodes a failed check left running in the background (their running.json names the pid).
  for running in "$WORK"/*/node/running.json; do
    [[ -f $running ]] || continue
    pid=$(grep -o '"pid": *[0-9]*' "$running" | grep -o '[0-9]*$') || continue
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Each run gets its own homes; HOME too, so nothing touches the real ~/.config or ~/.local.
export HOME=$WORK/home BORG_PASSPHRASE=smoke-test-passphrase BORG_KDF_FAST=1 NO_COLOR=1
unset BORG_HOME BORG_MNEMONIC_PASSPHRASE XDG_DATA_HOME XDG_CONFIG_HOME FORCE_COLOR
mkdir -p "$HOME"
cd "$WORK"

fail() {
  echo "FAIL: $*" >&2
  if [[ -s $WORK/out ]]; then echo "--- stdout:" >&2; tail -n 20 "$WORK/out" >&2; fi
  if [[ -s $WORK/err ]]; then echo "--- stderr:" >&2; tail -n 20 "$WORK/err" >&2; fi
  exit 1
}
ok() { echo "ok - $*"; }

# borg_in HOME_DIR EXPECTED_STATUS ARGS...: runs the binary (stdin from $STDIN, default
# /dev/null), leaves its output in $OUT and $WORK/{out,err}, and fails on any other status.
borg_in() {
  local home=$1 expected=$2 status=0
  shift 2
  BORG_HOME=$home "$BIN" "$@" <"${STDIN:-/dev/null}" >"$WORK/out" 2>"$WORK/err" || status=$?
  OUT=$(cat "$WORK/out")
  [[ $status -eq $expected ]] || fail "borg $* exited $status, expected $expected"
}

# json_string FIELD: the first "FIELD": "value" in $OUT (pretty or compact JSON, flat strings only).
json_string() {
  grep -o "\"$1\": *\"[^\"]*\"" <<<"$OUT" | head -n 1 | sed -e 's/^[^:]*: *"//' -e 's/"$//'
}

A=$WORK/a B=$WORK/b S=$WORK/server

# --- help, version, usage errors --------------------------------------------
borg_in "$A" 0 --help
for topic in id node shard stream wallet trade mail agent bench; do
  grep -qE "^  $topic +" <<<"$OUT" || fail "--help does not list the $topic topic"
done
grep -q $'\e' "$WORK/out" && fail "--help printed escape sequences although NO_COLOR=1"
ok "--help exits 0 and lists every topic"

borg_in "$A" 0 --version
grep -qE '^borg/[0-9]+\.[0-9]+\.[0-9]+ linux-(x64|arm64) bun-v[0-9]' <<<"$OUT" || fail "--version printed '$OUT' (expected the bun runtime, not a Node version)"
VERSION_LINE=$OUT
for alias in -v version; do
  borg_in "$A" 0 $alias
  [[ $OUT == "$VERSION_LINE" ]] || fail "borg $alias printed '$OUT', expected '$VERSION_LINE'"
done
ok "--version, -v, version: $OUT"

borg_in "$A" 0 trade --json
grep -q '"available": false' <<<"$OUT" || fail "trade --json printed '$OUT'"
ok "trade --json: the topic as JSON"

borg_in "$A" 2 frobnicate
grep -q 'unknown command' "$WORK/err" || fail "an unknown command gave no clear message"
ok "an unknown command exits 2"

# --- identity ---------------------------------------------------------------
borg_in "$A" 0 id new --json
MNEMONIC=$(json_string mnemonic)
ADDRESS=$(json_string address)
read -r -a WORDS <<<"$MNEMONIC"
[[ ${#WORDS[@]} -eq 24 ]] || fail "id new gave ${#WORDS[@]} words, expected 24"
[[ $ADDRESS == D* ]] || fail "id new gave address '$ADDRESS', expected one starting with D"
grep -qF "$MNEMONIC" "$WORK/err" && fail "id new --json leaked the words to stderr"
ok "id new --json: 24 words, address $ADDRESS"

borg_in "$A" 0 id show --json
[[ $(json_string address) == "$ADDRESS" ]] || fail "id show gave address '$(json_string address)', expected $ADDRESS"
ok "id show --json gives the same address"

printf '%s\n' "$MNEMONIC" >"$WORK/words"
STDIN=$WORK/words borg_in "$B" 0 id restore --json
[[ $(json_string address) == "$ADDRESS" ]] || fail "id restore gave address '$(json_string address)', expected $ADDRESS"
ok "id restore from stdin in another BORG_HOME gives the same address"

# The README's line: id new > words.txt on one machine, id restore < words.txt on another.
C=$WORK/c D=$WORK/d
borg_in "$C" 0 id new
cp "$WORK/out" "$WORK/words.txt"
SAVED_ADDRESS=$(grep -oE 'D[1-9A-HJ-NP-Za-km-z]{25,34}' "$WORK/err" | head -n 1)
[[ -n $SAVED_ADDRESS ]] || fail "id new > words.txt did not name the address on stderr"
STDIN=$WORK/words.txt borg_in "$D" 0 id restore --json
[[ $(json_string address) == "$SAVED_ADDRESS" ]] || fail "id restore < words.txt gave '$(json_string address)', expected $SAVED_ADDRESS"
ok "id new > words.txt, then id restore < words.txt: the same address"

BORG_PASSPHRASE=not-the-passphrase borg_in "$A" 5 id show --verify
ok "id show --verify with a wrong passphrase exits 5"

# --- the binary must not autoload .env or bunfig.toml from the user's directory ---
mkdir -p "$WORK/hostile"
printf 'BORG_HOME=%s\n' "$WORK/from-dotenv" >"$WORK/hostile/.env"
printf 'require("fs").writeFileSync("%s", "ran")\n' "$WORK/preload-ran" >"$WORK/hostile/evil.js"
printf 'preload = ["./evil.js"]\n' >"$WORK/hostile/bunfig.toml"
(cd "$WORK/hostile" && BORG_HOME=$A "$BIN" id show --json >"$WORK/out" 2>"$WORK/err") || fail "id show failed in a directory with .env and bunfig.toml"
OUT=$(cat "$WORK/out")
[[ ! -e $WORK/preload-ran ]] || fail "the binary ran a bunfig.toml preload from the current directory"
[[ ! -e $WORK/from-dotenv ]] || fail "the binary took BORG_HOME from a .env file in the current directory"
[[ $(json_string address) == "$ADDRESS" ]] || fail "id show in a directory with a .env file gave another identity"
ok "a .env and a bunfig.toml preload in the current directory are ignored"

# --- signed HTTPS round trip between two processes --------------------------
BORG_HOME=$S "$BIN" node serve --host 127.0.0.1 --port 0 --json >"$WORK/serve.out" 2>"$WORK/serve.err" </dev/null &
SERVER_PID=$!
for _ in $(seq 150); do # 15 s
  grep -q '"endpoint"' "$WORK/serve.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cp "$WORK/serve.out" "$WORK/out"; cp "$WORK/serve.err" "$WORK/err"; fail "node serve exited before listening"; }
  sleep 0.1
done
OUT=$(head -n 1 "$WORK/serve.out")
ENDPOINT=$(json_string endpoint)
NODE_ID=$(json_string nodeId)
[[ -n $ENDPOINT && -n $NODE_ID ]] || { cp "$WORK/serve.out" "$WORK/out"; cp "$WORK/serve.err" "$WORK/err"; fail "node serve printed no endpoint and node id within 15 s"; }
[[ $ENDPOINT == 127.0.0.1:* ]] || fail "node serve listens on '$ENDPOINT', expected 127.0.0.1:PORT"
ok "node serve listening on $ENDPOINT as node ${NODE_ID:0:16}..."

borg_in "$A" 0 node ping "$ENDPOINT" --count 3 --json
[[ $(json_string peer) == "$NODE_ID" ]] || fail "node ping reached peer '$(json_string peer)', expected $NODE_ID"
grep -qE '"ok": *true' <<<"$OUT" || fail "node ping did not report ok: true"
RTT=$(tr -d ' \n' <<<"$OUT" | grep -o '"rtt":\[[^]]*\]' || true)
[[ $RTT =~ \[[0-9.]+(,[0-9.]+)*\] ]] || fail "node ping gave no rtt array of numbers ('$RTT')"
ok "node ping --count 3: peer matches, ${RTT#\"rtt\":} ms"

borg_in "$A" 0 node ping "$ENDPOINT" --identity --expect "$NODE_ID" --json
[[ $(json_string address) == "$ADDRESS" ]] || fail "node ping --identity signed as '$(json_string address)', expected $ADDRESS"
ok "node ping --identity: signed as the identity $ADDRESS, peer pinned to the expected node id"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
borg_in "$A" 4 node ping "$ENDPOINT" --json
ok "node ping to a closed port exits 4"

# --- an organism of two nodes: node join / status / time / broadcast / leave ---
N1=$WORK/n1 N2=$WORK/n2
BASE=$((2000 + (RANDOM % 150) * 100)) # ports stay below the ephemeral range (32768+)
export BORG_HEARTBEAT_MS=500
borg_in "$N1" 0 node join --host 127.0.0.1 --cells all --port-base "$BASE" --json
borg_in "$N2" 0 node join --host 127.0.0.1 --cells all --port-base $((BASE + 100)) --contact "127.0.0.1:$((BASE + 13350))" --json
for _ in $(seq 60); do # 30 s
  BORG_HOME=$N2 "$BIN" node status --json >"$WORK/out" 2>"$WORK/err" </dev/null || true
  [[ $(grep -c '"treeSize": 2' "$WORK/out") -eq 6 ]] && break
  sleep 0.5
done
OUT=$(cat "$WORK/out")
[[ $(grep -c '"treeSize": 2' "$WORK/out") -eq 6 ]] || fail "two nodes did not form a two-node tree in all six cells within 30 s"
ok "node join: two background nodes formed one shard, one file-manager, one streaming, one crono, one ledger and one mail tree"
for _ in $(seq 40); do
  BORG_HOME=$N2 "$BIN" node time --json >"$WORK/out" 2>"$WORK/err" </dev/null || true
  grep -qE '"synced": *true' "$WORK/out" && break
  sleep 0.5
done
OUT=$(cat "$WORK/out")
grep -qE '"synced": *true' "$WORK/out" || fail "node time: the second node never synchronised with the crono root"
ok "node time: synchronised with the crono root (offset $(grep -o '"offsetMs": *[-0-9.e]*' "$WORK/out" | head -1 | sed 's/.*: *//') ms)"
borg_in "$N1" 0 node broadcast "smoke" --json
BID=$(json_string bid)
for _ in $(seq 20); do
  BORG_HOME=$N2 "$BIN" node status --json >"$WORK/out" 2>"$WORK/err" </dev/null || true
  grep -q "$BID" "$WORK/out" && break
  sleep 0.25
done
grep -q "$BID" "$WORK/out" || fail "the broadcast from node 1 never reached node 2"
ok "node broadcast: delivered to the other node"

# --- storage: put on one node, get (verified) through the other, encrypted too ---
export BORG_PASSPHRASE=smoke-passphrase
borg_in "$N1" 0 id new --json
head -c 3000000 /dev/urandom >"$WORK/blob"
borg_in "$N1" 0 shard put "$WORK/blob" --json
FID=$(json_string id)
[[ $FID =~ ^[0-9a-f]{64}$ ]] || fail "shard put printed no file id"
borg_in "$N2" 0 shard get "$FID" -o "$WORK/blob.back" --json
cmp -s "$WORK/blob" "$WORK/blob.back" || fail "shard get returned other bytes"
BORG_HOME=$N2 "$BIN" shard get "$FID" </dev/null 2>/dev/null | cmp -s - "$WORK/blob" || fail "shard get to stdout returned other bytes"
borg_in "$N1" 0 shard put "$WORK/blob" --encrypt --json
EID=$(json_string id)
borg_in "$N2" 7 shard get "$EID"
BORG_HOME=$N1 "$BIN" shard get "$EID" </dev/null 2>/dev/null | cmp -s - "$WORK/blob" || fail "the owner could not read the encrypted file back"
borg_in "$N2" 2 shard get ../../etc/passwd
ok "shard put/get: 3 MB stored and fetched bit-identical through the other node; encrypted only for its owner"
mkdir -p "$WORK/tree/sub" "$WORK/untar"
head -c 200000 /dev/urandom >"$WORK/tree/a.bin"
echo "hello from a pipe" >"$WORK/tree/sub/b.txt"
SID=$(tar cz -C "$WORK" tree | BORG_HOME=$N1 "$BIN" shard put - --name tree.tar.gz 2>"$WORK/err") || fail "tar cz | shard put - failed: $(cat "$WORK/err")"
[[ $SID =~ ^[0-9a-f]{64}$ ]] || fail "shard put - printed no file id ('$SID')"
BORG_HOME=$N2 "$BIN" shard get "$SID" </dev/null 2>/dev/null | tar xz -C "$WORK/untar" || fail "shard get | tar xz failed"
diff -r "$WORK/tree" "$WORK/untar/tree" >/dev/null || fail "the tree put from a pipe came back different"
ok "tar cz dir | shard put -, then shard get ID | tar xz on the other node: the same tree"
borg_in "$N2" 0 shard pin "$FID" --json
grep -qE '"missing": *0' <<<"$OUT" || fail "shard pin left chunks unfetched: $OUT"
borg_in "$N2" 0 shard unpin "$FID" --json
grep -qE '"unpinned": *true' <<<"$OUT" || fail "shard unpin did not unpin: $OUT"
ok "shard pin/unpin: the second node keeps every chunk of the file, then lets it go"
if command -v curl >/dev/null; then
  BORG_HOME=$N2 "$BIN" stream serve "$FID" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" </dev/null &
  SERVE=$!
  for _ in $(seq 40); do [[ -s $WORK/serve.out ]] && break; sleep 0.25; done
  URL=$(head -n 1 "$WORK/serve.out")
  [[ $URL == http://127.0.0.1:* ]] || fail "stream serve printed no URL: $(cat "$WORK/serve.err")"
  curl -s -r 1048570-2097160 "$URL" >"$WORK/range"
  dd if="$WORK/blob" bs=1 skip=1048570 count=1048591 status=none | cmp -s - "$WORK/range" || fail "stream serve answered a range with other bytes"
  kill "$SERVE"
  wait "$SERVE" 2>/dev/null || true
  ok "stream serve: a Range across two chunks answered with exactly those bytes"
fi
borg_in "$N1" 0 node status --json
N1_ID=$(json_string nodeId)
borg_in "$N2" 0 stream allow "$N1_ID" --json # the receiving node takes streams only with its owner's consent
borg_in "$N1" 0 stream send "$WORK/blob" --to "127.0.0.1:$((BASE + 100 + 13355))" --json
RECEIVED=$(json_string path)
cmp -s "$WORK/blob" "$RECEIVED" || fail "stream send: the receiving node kept other bytes (at $RECEIVED)"
ok "stream send: 3 MB pulled by the other node, checked, kept at its received path"

# --- the ledger: a network whose one representative is node 1; a send, received on the other side ---
borg_in "$N1" 0 ledger genesis --rep "$N1_ID" --name smoke --out "$WORK/genesis.json" --json
for n in "$N1" "$N2"; do mkdir -p "$n/node/cells/ledger" && cp "$WORK/genesis.json" "$n/node/cells/ledger/genesis.json"; done
for _ in $(seq 40); do # both nodes take the genesis up without a restart (each looks every 2 s)
  BORG_HOME=$N1 "$BIN" ledger status --json >/dev/null 2>&1 </dev/null &&
    BORG_HOME=$N2 "$BIN" ledger status --json >"$WORK/out" 2>"$WORK/err" </dev/null && grep -q '"endpoint"' "$WORK/out" && break
  sleep 0.5
done
grep -qE '"role": *"observer"' "$WORK/out" || fail "ledger status on node 2: $(cat "$WORK/out" "$WORK/err")"
borg_in "$N1" 0 ledger status --json
grep -qE '"role": *"representative"' <<<"$OUT" || fail "ledger status on node 1: $OUT"
LEDGER2="127.0.0.1:$((BASE + 100 + 13390))"
borg_in "$N1" 0 wallet send --to "$ADDRESS" 2.5 --memo smoke --json
grep -qE '"certifiedMs"' <<<"$OUT" || fail "wallet send printed no confirmation time: $OUT"
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 wallet balance --node "$LEDGER2" --json
grep -qE '"balance": *"2.5"' <<<"$OUT" || fail "the recipient's wallet did not receive 2.5 Shells: $OUT"
borg_in "$A" 2 wallet send --to "$ADDRESS" 1.0000000001 --node "$LEDGER2"
ok "ledger: genesis, a send certified by node 1, received through node 2 by another identity; 10 decimals refused"

# --- mail: the identity of $A (no node of its own) publishes its key through node 2; node 1's identity writes to its address ---
MAIL2="127.0.0.1:$((BASE + 100 + 13393))"
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 mail ls --node "$MAIL2" --json
for _ in $(seq 1 40); do
  echo "sealed in the smoke test" | BORG_HOME=$N1 "$BIN" mail send --to "$ADDRESS" --subject smoke --json >"$WORK/out" 2>"$WORK/err" && break
  sleep 0.5
done
grep -qE '"mailboxes"' "$WORK/out" || fail "mail send from node 1: $(cat "$WORK/out" "$WORK/err")"
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 mail ls --node "$MAIL2" --json
grep -qE '"subject": *"smoke"' <<<"$OUT" || fail "the recipient did not list the mail: $OUT"
MAIL_ID=$(grep -oE '"id": *"[0-9a-f]{64}"' <<<"$OUT" | head -n1 | grep -oE '[0-9a-f]{64}')
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 mail read "${MAIL_ID:0:12}" --node "$MAIL2"
grep -q "sealed in the smoke test" <<<"$OUT" || fail "mail read did not show the body: $OUT"
head -c 300000 /dev/urandom >"$WORK/attached.bin"
borg_in "$N1" 0 mail send --to "$ADDRESS" --subject attached --attach "$WORK/attached.bin" --json
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 mail ls --node "$MAIL2" --json
ATTACHED_ID=$(grep -B6 '"subject": *"attached"' <<<"$OUT" | grep -oE '"id": *"[0-9a-f]{64}"' | grep -oE '[0-9a-f]{64}' | tail -n1)
mkdir -p "$WORK/saved"
BORG_PASSPHRASE=smoke-test-passphrase borg_in "$A" 0 mail read "$ATTACHED_ID" --save "$WORK/saved" --node "127.0.0.1:$((BASE + 100 + 13350))" --json
cmp -s "$WORK/attached.bin" "$WORK/saved/attached.bin" || fail "the saved attachment differs from the one sent"
ok "mail: sealed on node 1 to an address, listed and read by its identity through node 2; a 300 KB attachment saved bit-identical"
unset BORG_PASSPHRASE

# --- records and the service registry: both nodes listed; a record put on node 1 read back on node 2 ---
for _ in $(seq 1 60); do
  BORG_HOME=$N2 "$BIN" services --json >"$WORK/out" 2>"$WORK/err" </dev/null && [[ $(grep -o '"node"' "$WORK/out" | wc -l) -eq 2 ]] && break
  sleep 1
done
[[ $(grep -o '"node"' "$WORK/out" | wc -l) -eq 2 ]] || fail "borg services on node 2 does not list both nodes: $(cat "$WORK/out" "$WORK/err")"
for n in "$N1" "$N2"; do echo '{"smoke":"opens the collection"}' >"$WORK/note"; STDIN=$WORK/note borg_in "$n" 0 records put smoke -; done
echo '{"smoke":"from node 1"}' >"$WORK/note"
STDIN=$WORK/note borg_in "$N1" 0 records put smoke -
RECORD_ID=$OUT
for _ in $(seq 1 60); do
  BORG_HOME=$N2 "$BIN" records get "$RECORD_ID" >"$WORK/out" 2>"$WORK/err" </dev/null && break
  sleep 1
done
grep -q '"from node 1"' "$WORK/out" || fail "the record put on node 1 never reached node 2: $(cat "$WORK/out" "$WORK/err")"
ok "records: borg services lists both nodes; a record put on node 1 is read on node 2"
# --- the conduit: its page and API from inside the binary, following node 1's registry ---
BORG_HOME=$N2 "$BIN" conduit >"$WORK/conduit.out" 2>"$WORK/conduit.err" </dev/null &
CONDUIT_PID=$!
for _ in $(seq 1 100); do grep -q '#t=' "$WORK/conduit.out" 2>/dev/null && break; sleep 0.1; done
URL=$(head -n1 "$WORK/conduit.out")
[[ $URL =~ ^http://127\.0\.0\.1:([0-9]+)/#t=([A-Za-z0-9_-]+)$ ]] || fail "borg conduit printed no address: $(cat "$WORK/conduit.out" "$WORK/conduit.err")"
CPORT=${BASH_REMATCH[1]} CTOKEN=${BASH_REMATCH[2]}
PAGE=$(node -e 'fetch(process.argv[1]).then(async (r) => console.log(r.status, (await r.text()).length))' "http://127.0.0.1:$CPORT/")
[[ $PAGE =~ ^200\ [0-9]{4,}$ ]] || fail "the conduit page did not load: $PAGE"
NODES=$(node -e 'fetch(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }).then(async (r) => console.log(r.status, (await r.json()).nodes.length))' "http://127.0.0.1:$CPORT/api/network" "$CTOKEN")
[[ $NODES == "200 2" ]] || fail "the conduit does not know both nodes: $NODES"
kill "$CONDUIT_PID"; wait "$CONDUIT_PID" 2>/dev/null || true
grep -q "$CTOKEN" "$WORK/conduit.err" && fail "the conduit logged its token"
ok "conduit: the page and its API from inside the binary, both nodes in its pool, no token logged"
N3=$WORK/n3
borg_in "$N3" 4 node join --host 127.0.0.1 --cells crono --port-base "$BASE"
grep -q "port $((BASE + 13396)) (the crono cell's net port) on 127.0.0.1 is already in use by borg node" "$WORK/err" || fail "node join on taken ports did not say which port and by what"
ok "node join on ports another node holds: exit 4, naming the port and the node"
borg_in "$N2" 0 node leave --json
borg_in "$N1" 0 node leave --json
borg_in "$N1" 3 node status --json
ok "node leave: both nodes handed over and stopped"
borg_in "$N3" 4 node join --host 127.0.0.1 --cells crono --port-base $((BASE + 200)) --contact "127.0.0.1:$((BASE + 13350))" --contact-wait 1 --json
grep -qE '"code": *"unavailable"' <<<"$OUT" || fail "node join through a stopped contact did not report unavailable: $OUT"
grep -q "contact 127.0.0.1:$((BASE + 13350)): connection refused" <<<"$OUT" || fail "node join through a stopped contact did not name it: $OUT"
BORG_HOME=$N3 "$BIN" node status >/dev/null 2>&1 && fail "node join through a stopped contact left a node running"
ok "node join through a stopped contact: exit 4 naming it, no separate network started"
unset BORG_HEARTBEAT_MS

# --- start-up time ----------------------------------------------------------
best=
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$BIN" --help >/dev/null
  ms=$((($(date +%s%N) - start) / 1000000))
  if [[ -z $best || $ms -lt $best ]]; then best=$ms; fi
done
echo "startup_help_ms=$best"
echo "smoke test passed: $BIN"
