#!/usr/bin/env bash
# Runs Tether's engine benchmarks (engine/bench_test.go, bench_check_test.go)
# next to the peer implementations in ../shared/bench/peers, interleaved
# round by round in one run, and prints medians and every ratio the engine
# is held to (issue 14):
#   whole session              vs looplab/fsm + expr (struct env)   goal <= 0.6
#   whole session              vs XState v5                         goal <= 0.15
#   allocations per session    vs looplab/fsm + expr                goal <= 0.5
#   bytes per session          vs looplab/fsm + expr                goal <= 1
#   heap of an idle session    vs looplab/fsm + expr instance       goal <= 1
#   sessions/s, 2 goroutines over 1, one compiled flow              goal >= 1.8
#   check a 1,000-state chain (ms, in process)                      goal <= 50
#   check a 10,000-state chain over a 1,000-state one               goal <= 12 (linear)
#   restore + one step         vs looplab/fsm construction          goal <  0.3
# With BASE=<git rev>, the same benchmarks of that revision run in the same
# rounds, and every ratio is printed before (BASE) and after (this tree).
#
# Usage: [BASE=rev] [COUNT=5] [BENCHTIME=1s] [IDLE_N=20000] scripts/bench-peers.sh [PEERS_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers_src=${1:-$root/../shared/bench/peers}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
IDLE_N=${IDLE_N:-20000}
BASE=${BASE:-}
if [ ! -d "$peers_src/go/connect" ]; then
  echo "bench-peers.sh: no peer implementations at $peers_src (want its go/connect and node); give their directory as the argument" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$peers_src" "$work/" && chmod -R u+w "$work"
peers=$work/peers

# The peer's sessions from GOMAXPROCS goroutines, as BenchmarkSessionParallel
# runs Tether's (added to our copy of the peers only).
cat >"$peers/go/connect/zz_parallel_test.go" <<'EOF'
package connect

import "testing"

func BenchmarkSessionParallel(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := NewLooplabExpr()
			for j := range Canonical {
				if err := m.Fire(&Canonical[j]); err != nil {
					b.Error(err)
					return
				}
			}
			if m.State() != SActivated {
				b.Error(m.State())
				return
			}
		}
	})
}
EOF
# XState's whole session alone, one measurement per call (bench.mjs runs
# everything at once).
cat >"$peers/node/session.mjs" <<'EOF'
import { createActor } from 'xstate';
import { connectMachine, canonical } from './machine.mjs';
function session() {
  const actor = createActor(connectMachine);
  actor.start();
  for (let i = 0; i < canonical.length; i++) actor.send(canonical[i]);
  if (actor.getSnapshot().value !== 'activated') throw new Error('not activated');
}
const run = (n) => { const t0 = process.hrtime.bigint(); for (let i = 0; i < n; i++) session(); return Number(process.hrtime.bigint() - t0); };
run(20000);
let n = 1000;
for (;;) { const ns = run(n); if (ns > 2e8) { n = Math.ceil(n * 1e9 / ns); break; } n *= 4; }
globalThis.gc();
console.log(`BenchmarkSession/xstate-1\t${n}\t${(run(n) / n).toFixed(0)} ns/op`);
EOF

(cd "$peers/go" && go test -c -o "$work/peers.test" ./connect)
(cd "$root/engine" && go test -c -o "$work/after.test" .)
builds=(after)
if [ -n "$BASE" ]; then
  mkdir "$work/base"
  git -C "$root" archive "$BASE" | tar -x -C "$work/base"
  if [ -d "$work/base/engine/syntax" ]; then
    # BASE's engine with this tree's benchmarks (they use only what BASE has).
    cp "$root"/engine/bench_test.go "$root"/engine/bench_check_test.go "$work/base/engine/"
    mkdir -p "$work/base/internal" && cp -r "$root/internal/flowgen" "$work/base/internal/"
  else
    # A revision from before the engine's split into packages (issue 21):
    # the benchmarks as they were just before the split, which use only
    # the API such a revision has.
    split=$(git -C "$root" rev-list -1 HEAD -- engine/yamlsafe.go)
    git -C "$root" archive "$split^" engine/bench_test.go engine/bench_check_test.go engine/internal/flowgen | tar -x -C "$work/base"
  fi
  if ! grep -q 'func LoadLimits' "$work"/base/engine/*.go "$work"/base/engine/syntax/*.go 2>/dev/null; then
    # Revisions before the YAML budgets (issue 9's c4e79b1, the engine as
    # issue 14 found it) load files of any size.
    cat >"$work/base/engine/zz_benchshim_test.go" <<'EOF2'
package engine

type YAMLLimits struct{ MaxBytes, MaxNodes int }

func LoadLimits(path string, src []byte, _ YAMLLimits) (*File, error) { return Load(path, src) }
EOF2
  fi
  (cd "$work/base/engine" && go test -c -o "$work/base.test" .)
  builds=(base after)
fi
xstate=0
if command -v node >/dev/null 2>&1 && (cd "$peers/node" && npm ci --no-audit --no-fund >/dev/null 2>&1); then
  xstate=1
fi

raw=$work/raw.txt
bench() { # $1 = label, $2 = binary, rest = flags
  local label=$1 bin=$2
  shift 2
  (cd "$root/engine" && "$bin" -test.run '^$' -test.benchmem -test.count 1 "$@") | grep '^Benchmark' | sed "s/^/$label /" >>"$raw"
}
for i in $(seq "$COUNT"); do
  echo "round $i of $COUNT" >&2
  bench peer "$work/peers.test" -test.bench '^BenchmarkSession$/^looplab_expr_struct$' -test.benchtime "$BENCHTIME"
  bench peer "$work/peers.test" -test.bench '^BenchmarkConstruct$/^looplab$' -test.benchtime "$BENCHTIME"
  bench peer "$work/peers.test" -test.bench '^BenchmarkSessionParallel$' -test.cpu 1,2 -test.benchtime "$BENCHTIME"
  if [ "$xstate" = 1 ]; then
    (cd "$peers/node" && node --expose-gc session.mjs) | sed 's/^/xstate /' >>"$raw"
  fi
  for b in "${builds[@]}"; do
    bench "$b" "$work/$b.test" -test.bench '^(BenchmarkSession|BenchmarkRestoreStep)$' -test.benchtime "$BENCHTIME"
    bench "$b" "$work/$b.test" -test.bench '^BenchmarkSessionParallel$' -test.cpu 1,2 -test.benchtime "$BENCHTIME"
    bench "$b" "$work/$b.test" -test.bench '^BenchmarkCheck$/^chain-1000$' -test.benchtime 10x
    bench "$b" "$work/$b.test" -test.bench '^BenchmarkCheck$/^chain-10000$' -test.benchtime 2x
  done
done
"$work/peers.test" -test.run '^TestIdleMemory$' -test.v -idle="$IDLE_N" | grep '^IDLE looplab_expr_struct ' | sed 's/^/peer /' >>"$raw"
for b in "${builds[@]}"; do
  (cd "$root/engine" && "$work/$b.test" -test.run '^TestIdleSessions$' -test.v -idle="$IDLE_N") | grep '^IDLE' | sed "s/^/$b /" >>"$raw"
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print a[(NR+1)/2] } else { print (a[NR/2] + a[NR/2+1]) / 2 } }'; }
field() { # $1 = line regexp, $2 = unit
  grep -E "$1" "$raw" | awk -v unit="$2" '{ for (i = 1; i <= NF; i++) if ($i == unit) print $(i-1) }' | median
}
idle() { grep -E "^$1 IDLE " "$raw" | awk '{ print $NF }' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "nan" || b == "" || b == "nan" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
ms() { awk -v a="$1" 'BEGIN { if (a == "" || a == "nan") print "n/a"; else printf "%.1f", a / 1e6 }'; }

p_sess=$(field '^peer BenchmarkSession/looplab_expr_struct-' 'ns/op')
p_allocs=$(field '^peer BenchmarkSession/looplab_expr_struct-' 'allocs/op')
p_bytes=$(field '^peer BenchmarkSession/looplab_expr_struct-' 'B/op')
p_construct=$(field '^peer BenchmarkConstruct/looplab-' 'ns/op')
p_par1=$(field '^peer BenchmarkSessionParallel ' 'ns/op')
p_par2=$(field '^peer BenchmarkSessionParallel-2 ' 'ns/op')
p_idle=$(idle peer)
x_sess=$(field '^xstate BenchmarkSession/xstate-' 'ns/op')

echo "medians of $COUNT interleaved rounds ($(go version | awk '{print $3}'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-40s %14s\n' "peer: looplab+expr session ns" "$p_sess" "peer: looplab+expr allocs, bytes" "$p_allocs, $p_bytes" \
  "peer: looplab construct ns" "$p_construct" "peer: idle instance bytes" "$p_idle" \
  "peer: parallel ns/op, 1 and 2 goroutines" "$p_par1, $p_par2" "xstate session ns" "${x_sess:-n/a}"
declare -A col
for b in "${builds[@]}"; do
  sess=$(field "^$b BenchmarkSession-" 'ns/op')
  allocs=$(field "^$b BenchmarkSession-" 'allocs/op')
  bytes=$(field "^$b BenchmarkSession-" 'B/op')
  restore=$(field "^$b BenchmarkRestoreStep/snapshot-" 'ns/op')
  par1=$(field "^$b BenchmarkSessionParallel " 'ns/op')
  par2=$(field "^$b BenchmarkSessionParallel-2 " 'ns/op')
  c1k=$(field "^$b BenchmarkCheck/chain-1000-" 'ns/op')
  c10k=$(field "^$b BenchmarkCheck/chain-10000-" 'ns/op')
  tidle=$(idle "$b")
  printf '%-40s %14s\n' "$b: session ns, allocs, bytes" "$sess, $allocs, $bytes" "$b: idle session bytes" "$tidle" \
    "$b: parallel ns/op, 1 and 2 goroutines" "$par1, $par2" "$b: check chain-1000, chain-10000 ms" "$(ms "$c1k"), $(ms "$c10k")"
  col[$b,sess]=$(ratio "$sess" "$p_sess")
  col[$b,xstate]=$(ratio "$sess" "$x_sess")
  col[$b,allocs]=$(ratio "$allocs" "$p_allocs")
  col[$b,bytes]=$(ratio "$bytes" "$p_bytes")
  col[$b,idle]=$(ratio "$tidle" "$p_idle")
  col[$b,par]=$(ratio "$par1" "$par2")
  col[$b,check]=$(ms "$c1k")
  col[$b,linear]=$(ratio "$c10k" "$c1k")
  col[$b,restore]=$(ratio "$restore" "$p_construct")
done
echo
row() { # $1 = label, $2 = key, $3 = goal
  local line
  line=$(printf '%-48s' "$1")
  for b in "${builds[@]}"; do line+=$(printf ' %8s' "${col[$b,$2]}"); done
  printf '%s  %s\n' "$line" "$3"
}
head=$(printf '%-48s' "ratio")
for b in "${builds[@]}"; do head+=$(printf ' %8s' "$b"); done
printf '%s  %s\n' "$head" "goal"
row "session / looplab+expr session" sess "<= 0.6"
row "session / xstate session" xstate "<= 0.15"
row "allocs per session / looplab+expr" allocs "<= 0.5"
row "bytes per session / looplab+expr" bytes "<= 1"
row "idle session heap / looplab+expr instance" idle "<= 1"
row "sessions/s 2 goroutines / 1 goroutine" par ">= 1.8 (peer $(ratio "$p_par1" "$p_par2"))"
row "check chain-1000 (ms)" check "<= 50"
row "check chain-10000 / chain-1000" linear "<= 12"
row "restore+step / looplab construct" restore "< 0.3"
