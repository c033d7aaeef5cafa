#!/bin/bash
# Every single sublayer of the bundled model dropped: perplexity (moby-dick-heldout, 8 windows of 256
# tokens, the workbench's default) and the offline task's accuracy (all 300 items), one JSON file each in
# OUT (default /tmp/single-drops). The table behind the classroom tour's accuracy step (docs/VIEWS.md).
# About 24 x 40 s on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
M=public/models/droplab-byte-12l
T=public/tasks/word-completion.jsonl
X=public/data/moby-dick-heldout.txt
OUT=${1:-/tmp/single-drops}
mkdir -p "$OUT"
run() { node bin/droplab.mjs "$@" --threads 1 --quiet --json; }
run eval --model $M --text $X --seq-len 256 --windows 8 > "$OUT/ppl-base.json"
run tasks --model $M --task $T > "$OUT/task-base.json"
for k in attn mlp; do
  for l in $(seq 0 11); do
    run eval --model $M --text $X --seq-len 256 --windows 8 --drop-$k "$l" > "$OUT/ppl-$k$l.json"
    run tasks --model $M --task $T --drop-$k "$l" > "$OUT/task-$k$l.json"
  done
done
