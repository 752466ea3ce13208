#!/usr/bin/env bash
# recipes/prompt-sentiment — the book's prompt-learning experiment on
# ChnSentiCorp with the base BERT: cloze templates ("{mask}满意。{text_a}")
# with label words 很/非常 (positive) vs 不 (negative), zero-shot (plain and
# contextually calibrated, three templates and their ensemble), then PET on
# 20 + 20 train reviews (the MLM head only, and every parameter). Scored on
# the 500 held-out reviews (349 positive, 151 negative: always-positive
# scores accuracy 69.8 %, macro-F1 41.1 %).
#
#   bash recipes/prompt-sentiment/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
begin prompt-sentiment
splits
base_models bert

VERBALIZER='1=很,非常;0=不'
TEMPLATES=(--template 'book={mask}满意。{text_a|trunc}' --template 'after={text_a|trunc}总之，{mask}满意。'
	--template 'hotel=这家酒店{mask}好。{text_a|trunc}')
TEST=(--labeled-file "$SPLITS/senti/test.jsonl" --part all --max-prompt-length 128 --threads "$THREADS")
TRAIN=(--labeled-file "$SPLITS/senti/train.jsonl" --part all --max-prompt-length 128 --k 20 --few-shot-seed 1
	--template 'book={mask}满意。{text_a|trunc}' --verbalizer "$VERBALIZER" --num-train-epochs 10
	--per-device-train-batch-size 8 --threads "$THREADS")

say "what the model sees"
g prompt render --tokenizer-name "$VOCAB" "${TEMPLATES[@]}" --verbalizer "$VERBALIZER" --max-prompt-length 64 \
	--text '房间很干净，服务也很热情，下次还会再来。'

say "zero-shot"
timed "zero-shot" g prompt eval --model-name-or-path "$BASE_BERT" "${TEST[@]}" "${TEMPLATES[@]}" \
	--verbalizer "$VERBALIZER" --ensemble mean_prob --output-dir "$OUT/zero-shot"
timed "zero-shot, calibrated" g prompt eval --model-name-or-path "$BASE_BERT" "${TEST[@]}" "${TEMPLATES[@]}" \
	--verbalizer "$VERBALIZER" --ensemble mean_prob --calibrate --output-dir "$OUT/zero-shot-calibrated"

say "PET: 20 + 20 train reviews, the MLM head only"
timed "PET, MLM head" stage "$OUT/pet" prompt train --model-name-or-path "$BASE_BERT" "${TRAIN[@]}" \
	--trainable '^cls\.predictions\.' --learning-rate 1e-3
g prompt eval --model-name-or-path "$OUT/pet" "${TEST[@]}" "${TEMPLATES[@]}" --verbalizer "$VERBALIZER" \
	--ensemble mean_prob --output-dir "$OUT/pet-eval"

say "PET: every parameter"
timed "PET, all parameters" stage "$OUT/pet-all" prompt train --model-name-or-path "$BASE_BERT" "${TRAIN[@]}" \
	--trainable '' --learning-rate 1e-4
g prompt eval --model-name-or-path "$OUT/pet-all" "${TEST[@]}" "${TEMPLATES[@]}" --verbalizer "$VERBALIZER" \
	--ensemble mean_prob --output-dir "$OUT/pet-all-eval"

metrics=""
for r in zero-shot zero-shot-calibrated pet-eval pet-all-eval; do
	metrics+="**$r**

$("$G" data head "$OUT/$r/results.csv" -n 20)

"
done
report "Prompt sentiment (ChnSentiCorp, base BERT)" "$metrics"
