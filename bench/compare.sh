#!/usr/bin/env bash
# Runs `make bench` for an earlier commit and for the working tree, alternately, on the same machine in one go,
# and prints each run's throughput and the ratio of the two. Usage: bench/compare.sh BASE_COMMIT [ROUNDS]
# (make bench-compare BASE=<commit> ROUNDS=2). The earlier commit is checked out into artifacts/bench-base.
set -euo pipefail
cd "$(dirname "$0")/.."

base="${1:?usage: bench/compare.sh BASE_COMMIT [ROUNDS]}"
rounds="${2:-2}"
dotnet="${DOTNET:-dotnet}"
worktree="artifacts/bench-base"

git worktree remove --force "$worktree" 2>/dev/null || rm -rf "$worktree"
git worktree prune
git worktree add --detach "$worktree" "$base" >/dev/null
trap 'git worktree remove --force "$worktree" 2>/dev/null || true' EXIT

for tree in "$worktree" .; do
  (cd "$tree" && "$dotnet" build bench/Inventory.Bench -c Release -nologo -v quiet >/dev/null)
done

# One run: prints "GET_OPS RESERVE_RELEASE_OPS FLASH_SECONDS".
run() {
  local out
  out="$(cd "$1" && "$dotnet" run --project bench/Inventory.Bench -c Release --no-build)"
  echo "$out" >&2
  awk 'function ops(  i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) return $i }
       /^HTTP GET/ { get = ops() } /^HTTP reserve \+ release/ { hold = ops() }
       /^Flash sale/ { for (i = 1; i <= NF; i++) if ($i == "s,") flash = $(i-1) }
       END { print get, hold, flash }' <<<"$out"
}

results=()
for round in $(seq 1 "$rounds"); do
  results+=("base $round $(run "$worktree")")
  results+=("this $round $(run .)")
done

echo
echo "base = $(git rev-parse --short "$base"), this = working tree of $(git rev-parse --short HEAD)"
printf '%-6s %-6s %10s %16s %10s\n' code run "GET ops/s" "reserve+release" "flash s"
for line in "${results[@]}"; do
  read -r who round get hold flash <<<"$line"
  printf '%-6s %-6s %10s %16s %10s\n' "$who" "$round" "$get" "$hold" "$flash"
done
printf '%s\n' "${results[@]}" | awk '
  $1 == "base" { bg += $3; bh += $4; nb++ } $1 == "this" { tg += $3; th += $4; nt++ }
  END { printf "ratio this/base (mean of runs): get=%.2f reserve_release=%.2f\n", (tg/nt)/(bg/nb), (th/nt)/(bh/nb) }'
