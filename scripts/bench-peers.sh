#!/usr/bin/env bash
# Runs Tether's canonical-workload benchmarks (engine/bench_test.go) next to
# the peer implementations in ../shared/bench/peers, interleaved in one run,
# and prints medians and the ratios the engine is held to:
#   whole session      vs looplab/fsm + expr (struct env)   target <= 1.15x
#   whole session      vs XState v5                         target <  0.25x
#   restore + one step vs looplab/fsm construction          target <  0.3x
#   allocs per session vs looplab/fsm + expr                target <  1x
# Usage: scripts/bench-peers.sh [PEERS_DIR]   (COUNT=5 BENCHTIME=1s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers_src=${1:-$root/../shared/bench/peers}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$peers_src" "$work/" && chmod -R u+w "$work"
peers=$work/peers

(cd "$peers/go" && go test -c -o "$work/peers.test" ./connect)
(cd "$root/engine" && go test -c -o "$work/tether.test" .)

raw=$work/raw.txt
for i in $(seq "$COUNT"); do
  "$work/peers.test" -test.run '^$' -test.bench '^BenchmarkSession$/^looplab_expr_struct$' \
    -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" | grep '^Benchmark' | sed 's/^/peer /' >>"$raw"
  "$work/peers.test" -test.run '^$' -test.bench '^BenchmarkConstruct$/^looplab$' \
    -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" | grep '^Benchmark' | sed 's/^/peer /' >>"$raw"
  (cd "$root/engine" && "$work/tether.test" -test.run '^$' -test.bench '^(BenchmarkSession|BenchmarkRestoreStep)$' \
    -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME") | grep '^Benchmark' | sed 's/^/tether /' >>"$raw"
done

if command -v node >/dev/null 2>&1; then
  if (cd "$peers/node" && npm ci --no-audit --no-fund >/dev/null 2>&1); then
    (cd "$peers/node" && COUNT=$COUNT node --expose-gc bench.mjs 2>/dev/null) | grep '^BenchmarkSession/xstate' | sed 's/^/xstate /' >>"$raw" || true
  fi
fi

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print a[(NR+1)/2] } else { print (a[NR/2] + a[NR/2+1]) / 2 } }'; }
field() { # $1 = prefix regexp, $2 = unit
  grep -E "$1" "$raw" | awk -v unit="$2" '{ for (i = 1; i <= NF; i++) if ($i == unit) print $(i-1) }' | median
}
t_sess=$(field '^tether BenchmarkSession-' 'ns/op')
t_allocs=$(field '^tether BenchmarkSession-' 'allocs/op')
t_restore=$(field '^tether BenchmarkRestoreStep/snapshot-' 'ns/op')
t_restore_json=$(field '^tether BenchmarkRestoreStep/json-' 'ns/op')
p_sess=$(field '^peer BenchmarkSession/looplab_expr_struct-' 'ns/op')
p_allocs=$(field '^peer BenchmarkSession/looplab_expr_struct-' 'allocs/op')
p_construct=$(field '^peer BenchmarkConstruct/looplab-' 'ns/op')
xstate_ns=$(field '^xstate BenchmarkSession/xstate-' 'ns/op')

echo "medians of $COUNT interleaved runs ($(go version | awk '{print $3}'), $(nproc) CPUs)"
printf '%-44s %12s\n' "benchmark" "value"
printf '%-44s %12s\n' "tether session ns" "$t_sess" "tether session allocs" "$t_allocs" \
  "tether restore+step ns (from Snapshot)" "$t_restore" "tether restore+step ns (from JSON)" "$t_restore_json" \
  "looplab+expr session ns" "$p_sess" "looplab+expr session allocs" "$p_allocs" \
  "looplab construct ns" "$p_construct" "xstate session ns" "${xstate_ns:-n/a}"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == "nan" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
printf '%-52s %6s  %s\n' "ratio" "value" "target"
printf '%-52s %6s  %s\n' "session / looplab+expr session" "$(ratio "$t_sess" "$p_sess")" "<= 1.15"
printf '%-52s %6s  %s\n' "session / xstate session" "$(ratio "$t_sess" "$xstate_ns")" "< 0.25"
printf '%-52s %6s  %s\n' "restore+step / looplab construct" "$(ratio "$t_restore" "$p_construct")" "< 0.30"
printf '%-52s %6s  %s\n' "restore+step from JSON / looplab construct" "$(ratio "$t_restore_json" "$p_construct")" "(reported)"
printf '%-52s %6s  %s\n' "allocs / looplab+expr allocs" "$(ratio "$t_allocs" "$p_allocs")" "< 1"
