#!/usr/bin/env bash
# Re-records Recordings/demo.cast and its journal: the default federation (3 hospitals on `lesions`,
# tinycnn, DP-SGD, ε budget 3, 30 rounds; about 3 minutes in a release build on 2 cores) in the live
# console inside tmux, with an operator's key presses; then Recordings/presenter.cast: the same
# federation over 12 rounds (about a minute) in the presenter view (--present) to its final summary
# screen.
# Usage: Recordings/make-demo.sh [path/to/fedtop]   (default: .build/release/fedtop)
set -euo pipefail
cd "$(dirname "$0")/.."
fedtop=${1:-.build/release/fedtop}
out=$(mktemp -d)
session=fedtop-demo-$$
keys() { tmux send-keys -t "$session" "$@"; }
wait_for() { until tmux capture-pane -p -t "$session" | grep -q -- "$1"; do sleep 0.3; done; }
tmux new-session -d -s "$session" -x 120 -y 36 \
    "$fedtop --out $out/run --record Recordings/demo.cast; echo FEDTOP-EXIT=\$?; sleep 30"
wait_for "Round 4/"
keys m; sleep 2
keys ' '; wait_for PAUSED; sleep 3
keys '?'; sleep 4; keys Escape; sleep 1
keys + ; sleep 2; keys + ; sleep 3; keys Enter; sleep 3
keys s; sleep 9
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
    "$fedtop --present --rounds 12 --out $out/presenter --record Recordings/presenter.cast; echo FEDTOP-EXIT=\$?; sleep 30"
wait_for "Round 4 of"
keys + ; sleep 4; keys Enter; sleep 2
wait_for "The run is over"; sleep 8
keys q; sleep 2; keys y
wait_for "FEDTOP-EXIT="
tmux kill-session -t "$session"
rm -rf "$out"
