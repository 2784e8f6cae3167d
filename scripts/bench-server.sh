#!/usr/bin/env bash
# Runs tether serve's benchmarks (internal/cli/serve_bench_test.go) and
# prints every figure issue 23 holds the server to, from one run:
#   CPU time per durable step (process CPU / steps), SQLite and PostgreSQL,
#     8 clients                                                 goal <= 0.3 ms
#   server steps/s over the raw commit rate of the same store, driver and
#     pragmas (one commit an operation), SQLite and PostgreSQL   goal >= 0.5
#   memory store steps/s over HTTP, 8 clients, the load generator on the
#     same cores                                                 goal >= 15000
#   RSS of an idle session: growth over 10,000 sessions created through the
#     API, memory store, default GOGC                            goal <= 1.5 KB
# The load generator writes its HTTP/1.1 requests by hand on kept-alive
# connections and parses the responses itself (net/http's client would
# take CPU from the server it shares the cores with); it checks every
# response's status, ETag and the body members it uses, and prints its own
# CPU per step (loadgen) beside the server's.
# With BASE=<git rev>, the tether binary of that revision is benchmarked in
# the same rounds, by the same load generator, and every figure is printed
# before (BASE) and after (this tree), with after/before.
# PostgreSQL is benchmarked when TETHER_TEST_POSTGRES names a database.
#
# Usage: [BASE=rev] [COUNT=3] [STEPS=2000] scripts/bench-server.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${COUNT:-3}
STEPS=${STEPS:-2000}
BASE=${BASE:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The binary that serves: tether-server where a tree has it (tether runs
# it for serve), else tether itself.
server() { # $1 = source tree, $2 = output
  if [ -d "$1/cmd/tether-server" ]; then
    (cd "$1" && go build -o "$2" ./cmd/tether-server)
  else
    (cd "$1" && go build -o "$2" ./cmd/tether)
  fi
}
server "$root" "$work/after"
(cd "$root/internal/cli" && go test -c -o "$work/bench.test" .)
builds=(after)
if [ -n "$BASE" ]; then
  mkdir "$work/src"
  git -C "$root" archive "$BASE" | tar -x -C "$work/src"
  server "$work/src" "$work/base"
  builds=(base after)
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
raw=$work/raw.txt
for i in $(seq "$COUNT"); do
  echo "round $i of $COUNT" >&2
  for b in "${builds[@]}"; do
    flows=$root/flows
    if [ "$b" = base ]; then flows=$work/src/flows; fi
    out=$work/out.txt
    if ! (cd "$root/internal/cli" && TETHER_BENCH_BIN="$work/$b" TETHER_BENCH_FLOWS="$flows" "$work/bench.test" -test.run '^$' \
      -test.bench '^BenchmarkServe(Steps|Idle)$' -test.benchtime "${STEPS}x") >"$out" 2>&1; then
      echo "bench-server.sh: the benchmarks of $b failed:" >&2
      tail -20 "$out" >&2
      exit 1
    fi
    grep '^Benchmark' "$out" | sed "s/^/$b /" >>"$raw"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "n/a" } else if (NR % 2) { print a[(NR+1)/2] } else { print (a[NR/2] + a[NR/2+1]) / 2 } }'; }
field() { # $1 = build, $2 = benchmark regexp, $3 = unit
  { grep -E "^$1 $2" "$raw" || true; } | awk -v unit="$3" '{ for (i = 1; i <= NF; i++) if ($i == unit) print $(i-1) }' | median
}
fmt() { awk -v a="$1" -v s="$2" -v p="$3" 'BEGIN { if (a == "n/a" || a == "") print "n/a"; else printf "%." p "f", a / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

declare -A v
for b in "${builds[@]}"; do
  for s in sqlite postgres memory; do
    v[$b,$s,cpu]=$(field "$b" "BenchmarkServeSteps/store=$s/clients=8-" 'cpu-µs/step')
    v[$b,$s,gen]=$(field "$b" "BenchmarkServeSteps/store=$s/clients=8-" 'loadgen-cpu-µs/step')
    v[$b,$s,steps]=$(field "$b" "BenchmarkServeSteps/store=$s/clients=8-" 'steps/s')
    v[$b,$s,raw]=$(field "$b" "BenchmarkServeSteps/store=$s/clients=8-" 'raw-commits/s')
    v[$b,$s,ratio]=$(field "$b" "BenchmarkServeSteps/store=$s/clients=8-" 'ratio')
  done
  v[$b,idle]=$(field "$b" 'BenchmarkServeIdle-' 'rss-B/session')
done

echo "medians of $COUNT rounds of $STEPS steps ($(go version | awk '{print $3}'), $(nproc) CPUs)"
echo "machine load (1, 5, 15 min): $load_before before, $load_after after"
for b in "${builds[@]}"; do
  for s in sqlite postgres; do
    printf '%-8s %-9s raw commits/s %8s, server steps/s %8s\n' "$b" "$s" "$(fmt "${v[$b,$s,raw]}" 1 0)" "$(fmt "${v[$b,$s,steps]}" 1 0)"
  done
done
echo
row() { # $1 = label, $2 = key, $3 = scale, $4 = decimals, $5 = goal
  local line
  line=$(printf '%-52s' "$1")
  for b in "${builds[@]}"; do line+=$(printf ' %9s' "$(fmt "${v[$b,$2]}" "$3" "$4")"); done
  if [ -n "$BASE" ]; then line+=$(printf ' %9s' "$(ratio "${v[after,$2]}" "${v[base,$2]}")"); fi
  printf '%s  %s\n' "$line" "$5"
}
head=$(printf '%-52s' "figure")
for b in "${builds[@]}"; do head+=$(printf ' %9s' "$b"); done
if [ -n "$BASE" ]; then head+=$(printf ' %9s' "after/base"); fi
printf '%s  %s\n' "$head" "goal"
row "CPU per durable step, SQLite, 8 clients (ms)" "sqlite,cpu" 1000 3 "<= 0.3"
row "CPU per durable step, PostgreSQL, 8 clients (ms)" "postgres,cpu" 1000 3 "<= 0.3"
row "steps/s / raw commits/s, SQLite, 8 clients" "sqlite,ratio" 1 2 ">= 0.5"
row "steps/s / raw commits/s, PostgreSQL, 8 clients" "postgres,ratio" 1 2 ">= 0.5"
row "memory store steps/s over HTTP, 8 clients" "memory,steps" 1 0 ">= 15000"
row "  CPU per step: server, memory store (ms)" "memory,cpu" 1000 3 ""
row "  CPU per step: load generator, memory store (ms)" "memory,gen" 1000 3 ""
row "idle session RSS, memory store (KB)" "idle" 1024 2 "<= 1.5"
