#!/usr/bin/env bash
# Re-records Recordings/demo.cast and its journal: the default federation (3 hospitals on `lesions`,
# DP-SGD, ε budget 3, 30 rounds) with hospital-3 a straggler (3 s late each round, so that the run
# lasts a few minutes), in the live console inside tmux, with an operator's key presses; then
# Recordings/presenter.cast: the same federation in the presenter view (--present) to its final
# summary screen.
# Usage: Recordings/make-demo.sh [path/to/fedtop]   (default: .build/debug/fedtop)
set -euo pipefail
cd "$(dirname "$0")/.."
fedtop=${1:-.build/debug/fedtop}
out=$(mktemp -d)
session=fedtop-demo-$$
keys() { tmux send-keys -t "$session" "$@"; }
wait_for() { until tmux capture-pane -p -t "$session" | grep -q -- "$1"; do sleep 0.3; done; }
tmux new-session -d -s "$session" -x 120 -y 36 \
    "$fedtop --simulate hospital-3:delay=3 --out $out/run --record Recordings/demo.cast; echo FEDTOP-EXIT=\$?; sleep 30"
wait_for "Round 4/"
keys m; sleep 2
keys ' '; wait_for PAUSED; sleep 3
keys '?'; sleep 4; keys Escape; sleep 1
keys + ; sleep 2; keys + ; sleep 3; keys Enter; sleep 3
keys s; sleep 6
keys m; keys ' '; sleep 8
keys j; sleep 1; keys Enter; sleep 4; keys Escape; keys d; sleep 10
keys Tab; keys / p r i v Enter; sleep 5; keys / Escape; keys Tab
keys d; sleep 8
keys t; sleep 4; keys t; sleep 4; keys t; sleep 4; keys t; sleep 4; keys t; sleep 2
keys P; sleep 10; keys P
keys m
wait_for "FINISHED"; sleep 4
keys q; sleep 2; keys y
wait_for "FEDTOP-EXIT="
tmux kill-session -t "$session"

# The presenter view, start to final summary.
tmux new-session -d -s "$session" -x 120 -y 36 \
    "$fedtop --present --simulate hospital-3:delay=1 --out $out/presenter --record Recordings/presenter.cast; echo FEDTOP-EXIT=\$?; sleep 30"
wait_for "Round 6 of"
keys + ; sleep 4; keys Enter; sleep 2
wait_for "The run is over"; sleep 8
keys q; sleep 2; keys y
wait_for "FEDTOP-EXIT="
tmux kill-session -t "$session"
rm -rf "$out"
