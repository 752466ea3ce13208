#!/usr/bin/env bash
# demo.sh — the main job, end to end on CPU in a few minutes, on data gotrl
# generates itself (a fresh clone needs nothing else):
#   synthetic abstract→title data → pretrain a tiny Chinese GPT-2 → SFT →
#   reward model on ranked titles → PPO against it → generate.
# Everything lands in runs/demo (override with DEMO_DIR). Run by `make demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=bin/gotrl
dir=${DEMO_DIR:-runs/demo}
threads=${DEMO_THREADS:-$(nproc)}
common=(--threads "$threads" --seed 1)
step() { printf '\n== %s\n' "$*"; }

rm -rf "$dir"
mkdir -p "$dir"
step "1/6 synthetic data (CSL-like abstract → title pairs, ranked titles, prompts)"
$bin data synth "$dir/data" -n 2000 "${common[@]}"
vocab=$(wc -l < "$dir/data/vocab.txt")
cat > "$dir/gpt2-tiny.json" <<JSON
{"model_type": "gpt2", "vocab_size": $vocab, "n_positions": 128, "n_embd": 128, "n_layer": 2, "n_head": 4,
 "activation_function": "gelu_new", "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
 "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "tokenizer_class": "BertTokenizer"}
JSON
tok=(--tokenizer "$dir/data/vocab.txt") # later stages find it in the run directories

step "2/6 pretrain a 2×128 GPT-2 from scratch (causal LM on corpus.txt)"
$bin pretrain --model-config "$dir/gpt2-tiny.json" "${tok[@]}" --data "$dir/data/corpus.txt" \
  --output "$dir/pretrain" --max-steps 150 --batch-size 16 --max-length 96 --lr 2e-3 --eval-steps 50 "${common[@]}"

step "3/6 SFT: abstract → title, loss on the title only"
$bin sft --init "$dir/pretrain" --data "$dir/data/sft.jsonl" --eval-data "$dir/data/sft_eval.jsonl" \
  --output "$dir/sft" --max-steps 100 --batch-size 16 --lr 1e-3 --eval-steps 50 --max-length 96 --max-new-tokens 24 "${common[@]}"

step "4/6 reward model on ranked titles (true > wrong method > truncated > random)"
$bin rm --init "$dir/sft" --schema ranked --data "$dir/data/ranked.jsonl" \
  --output "$dir/rm" --max-steps 60 --batch-size 16 --lr 5e-4 --eval-steps 30 --max-length 96 "${common[@]}"

step "5/6 PPO: the SFT policy against the reward model, KL-controlled"
$bin ppo --model "$dir/sft" --reward-model "$dir/rm" --prompts "$dir/data/prompts.jsonl" \
  --output "$dir/ppo" --steps 12 --batch-size 16 --mini-batch-size 8 --ppo-epochs 2 --lr 1e-5 \
  --min-new-tokens 24 --max-new-tokens 24 --sample-steps 6 "${common[@]}"

step "6/6 generate titles with the PPO policy"
$bin generate --model "$dir/ppo" --max-new-tokens 24 \
  --prompt "针对医疗领域的情感分析问题，本文提出一种基于图神经网络的方法。实验表明准确率明显提高。" "${common[@]}"

printf '\ndemo done: metrics.jsonl, plots/*.png and checkpoints under %s/{pretrain,sft,rm,ppo}\n' "$dir"
