#!/usr/bin/env bash
# bench_dist.sh — data parallelism on one 2-core machine: causal-LM
# pretraining of the small benchmark GPT-2 (2 layers × 128, vocab 21128, as
# `gotrl bench train --shape small`), global batch 8 × 64 tokens, run as
#   A: 1 process × 2 threads, --batch-size 8
#   B: 2 processes × 1 thread (gotrl launch), --batch-size 4 each
# and reports tokens/s, step time and, for B, the collectives' share of the
# step (allreduce_time_s in metrics.jsonl: the item-count reduction, the
# bucketed gradient all-reduce and the wait for the slower rank).
#
#   bash scripts/bench_dist.sh            # BENCH_STEPS=60 steps, the first 10 not counted
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=${BENCH_STEPS:-60}
skip=${BENCH_SKIP:-10}
bin=bin/gotrl
[ -x "$bin" ] || { echo "bench_dist: build $bin first (make build)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$bin" data synth "$dir/data" -n 2000 >/dev/null
cat > "$dir/gpt2-small.json" <<JSON
{"model_type": "gpt2", "vocab_size": 21128, "n_positions": 1024, "n_embd": 128, "n_layer": 2, "n_head": 2,
 "activation_function": "gelu_new", "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
 "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3}
JSON
common=(pretrain --model-config "$dir/gpt2-small.json" --tokenizer "$dir/data/vocab.txt" --data "$dir/data/corpus.txt"
  --max-length 64 --max-steps "$steps" --eval-steps 0 --eval-fraction 0 --lr 1e-3 --logging-steps 1 --seed 1)

"$bin" --threads 2 "${common[@]}" --batch-size 8 -o "$dir/one" >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 29517)
"$bin" launch --nproc-per-node 2 --master-port "$port" -- "${common[@]}" --threads 1 --batch-size 4 -o "$dir/two" >/dev/null 2>&1

# median of a metric over the training records after the first $skip steps
median() {
  grep '"tokens_per_s"' "$1/metrics.jsonl" | tail -n +"$((skip + 1))" |
    sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
printf '%-26s %10s %12s %14s %8s\n' "run" "tokens/s" "step (ms)" "all-reduce (ms)" "share"
printf '%-26s %10.0f %12.1f %14s %8s\n' "1 process × 2 threads" "$(median "$dir/one" tokens_per_s)" \
  "$(awk "BEGIN{print 1000*$(median "$dir/one" step_time_s)}")" "-" "-"
st=$(median "$dir/two" step_time_s) ar=$(median "$dir/two" allreduce_time_s)
printf '%-26s %10.0f %12.1f %14.1f %7.0f%%\n' "2 processes × 1 thread" "$(median "$dir/two" tokens_per_s)" \
  "$(awk "BEGIN{print 1000*$st}")" "$(awk "BEGIN{print 1000*$ar}")" "$(awk "BEGIN{print 100*$ar/$st}")"
echo "(medians of steps $((skip + 1))–$steps; global batch 8 × 64 tokens; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
