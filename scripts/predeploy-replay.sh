#!/usr/bin/env bash
# The pre-deploy check of a changed flow (docs/flow-evolution.md): the
# sessions the deployed version runs, replayed through the working tree.
#
# Usage: scripts/predeploy-replay.sh REF
#
# REF is the deployed version (a tag, a commit, origin/main). From REF's
# flows/ and testscripts/generated/ (one replay per branch of connect, per
# country), it records each replay's event log (tether replay --json), then
# replays the logs through the working tree's flows/connect.yaml (tether
# replay --log), country by country, and prints, for each log that goes
# another way, where and why. Exit status 1 when one does: every
# divergence is a behaviour the change alters — expected for the change
# being made, a regression otherwise. Sessions in flight finish on the
# version they started on (or move by a migrate: entry): tether compat
# says which could not.
set -euo pipefail
ref=${1:?usage: scripts/predeploy-replay.sh REF}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
git archive "$ref" flows testscripts/generated | tar -x -C "$work"
go build -o "$work/tether" ./cmd/tether
mkdir -p "$work/logs"

# Record: each generated replay of REF, on REF's flows.
for script in "$work"/testscripts/generated/replay-*.txtar; do
	name=$(basename "$script" .txtar)
	awk '/^-- path.yaml --$/{on=1; next} /^-- /{on=0} on' "$script" >"$work/path.yaml"
	args=$(sed -n 's/^exec tether replay //p' "$script")
	# REF's scripts may be older than --country: --region was its name.
	country=$(sed -n 's/.*--\(country\|region\) \([A-Z][A-Z]\).*/\2/p' <<<"$args")
	args=${args//--region /--country }
	mkdir -p "$work/logs/${country:-default}"
	# shellcheck disable=SC2086 # the script's arguments, word by word
	(cd "$work" && ./tether replay $args --json >"logs/${country:-default}/$name.jsonl")
done

# Replay: each country's logs through the working tree's flow.
status=0
for dir in "$work"/logs/*/; do
	country=$(basename "$dir")
	flags=()
	[[ $country != default ]] && flags=(--country "$country")
	echo "# country $country"
	(cd "$dir" && "$work/tether" replay --flow "$root/flows/connect.yaml" "${flags[@]}" --log ./*.jsonl) || status=1
done
exit $status
