#!/usr/bin/env bash
# recipes/sentiment-ppo — the book's PPO practical on ChnSentiCorp: a GPT-2
# policy (the base model) learns to continue hotel-review prefixes
# positively, rewarded by a BERT sentiment classifier trained on the train
# side. The classifier keeps its own tokenizer:
# samples reach it as text, as TRL's sentiment example hands them to a
# pipeline. Reported on the held-out reviews' prefixes: positive rate and
# mean reward before and after PPO; the KL to the reference model at the end
# of training; the classifier's own test accuracy.
#
#   bash recipes/sentiment-ppo/run.sh       # resumes where it stopped
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
begin sentiment-ppo
splits
base_models gpt2

# The classifier starts from a freshly initialised 4×256 BERT unless
# SENTIMENT_INIT names a model (e.g. bert-base-chinese): the base BERT built
# by recipes/base has not left MLM's unigram plateau (its masked-token
# accuracy stays at 3 %), and a classifier started from it stays at the
# majority class, where a fresh one reaches ~83 % on the train side's eval.
if [ -n "${SENTIMENT_INIT:-}" ]; then
	INIT=(--model-name-or-path "$SENTIMENT_INIT")
else
	INIT=(--config-name "$ROOT/recipes/base/bert.json" --tokenizer-name "$VOCAB")
fi
say "sentiment classifier: a BERT trained on the train side"
timed "classifier" stage "$OUT/classifier" classifier "${INIT[@]}" \
	--train-file "$SPLITS/senti/train.jsonl" --num-labels 2 --max-length 128 --per-device-train-batch-size 32 \
	--learning-rate 5e-4 --warmup-steps "$(steps 30)" --max-steps "$(steps 300)" --eval-steps "$(steps 50)" \
	--save-steps "$(steps 50)" --eval-fraction 0.1 --metric-for-best-model eval_accuracy --load-best-model-at-end
SCORE=(--model-name-or-path "$OUT/classifier" --reward-label 1 --threads "$THREADS")
g rm score "${SCORE[@]}" --input "$SPLITS/senti/test.jsonl" --fields response=review --output-file "$OUT/classifier-test.jsonl"
clf=$(g eval classify --input "$OUT/classifier-test.jsonl" --fields prediction=predicted_label --fields reference=label --labels 0,1 --json)

say "review prefixes (8 characters): train side for PPO, test side to report on"
g data text "$SPLITS/senti/train.jsonl" --text-fields review --max-chars 8 --jsonl >"$OUT/prefixes-train.jsonl"
g data text "$SPLITS/senti/test.jsonl" --text-fields review --max-chars 8 --jsonl >"$OUT/prefixes-test.jsonl"

# continue POLICY NAME: sampled continuations of the test prefixes, scored.
continue_and_score() {
	g generate --model-name-or-path "$1" --input "$OUT/prefixes-test.jsonl" --fields prompt=text \
		--do-sample --top-k 0 --top-p 1 --max-new-tokens 24 --seed 1 --threads "$THREADS" \
		--output-file "$OUT/continuations-$2.jsonl"
	g rm score "${SCORE[@]}" --input "$OUT/continuations-$2.jsonl" --fields prompt=text --fields response=prediction \
		--output-file "$OUT/scored-$2.jsonl"
}

say "before PPO: the base GPT-2"
before=$(continue_and_score "$BASE_GPT2" before | tail -1)

# fp32: under bf16 autocast the policy's logits are rounded to bf16 and, in
# tests, the reward rose far less than in fp32 for the same seed.
say "PPO against the classifier's positive logit"
timed "PPO" stage "$OUT/ppo" ppo --model-name-or-path "$BASE_GPT2" --train-file "$OUT/prefixes-train.jsonl" \
	--fields prompt=text --reward-model "$OUT/classifier" --reward-label 1 \
	--batch-size 32 --mini-batch-size 8 --ppo-epochs 4 --learning-rate 5e-5 \
	--output-min-length 8 --output-max-length 24 --init-kl-coef 0.2 --target 6 \
	--bf16=false --max-steps "$(steps 40)" --save-steps "$(steps 20)" --sample-steps "$(steps 20)"

say "after PPO"
after=$(continue_and_score "$OUT/ppo" after | tail -1)

# fields of rm score's summary line: mean reward, share of label 1
mean() { sed -n 's/.*mean reward \([-0-9.]*\).*/\1/p' <<<"$1"; }
pos() { sed -n 's/.*label 1 \([0-9.]*\).*/\1/p' <<<"$1"; }
kl=$(grep -o '"objective/kl":[-0-9.e]*' "$OUT/ppo/metrics.jsonl" | tail -1 | cut -d: -f2 | xargs printf '%.4f')
acc=$(sed -n 's/.*"accuracy":\([0-9.]*\).*/\1/p' <<<"$clf" | cut -c1-5)
f1=$(sed -n 's/.*"macro-f1":\([0-9.]*\).*/\1/p' <<<"$clf" | cut -c1-5)
metrics=$(printf '| held-out prefixes | positive rate | mean reward (positive logit) |\n| --- | --- | --- |\n| before PPO (base GPT-2) | %s | %s |\n| after PPO | %s | %s |\n\nKL(policy ‖ reference) at the last PPO iteration: %s. Classifier on the 500 test reviews: accuracy %s %%, macro-F1 %s %%.' \
	"${before:+$(pos "$before")}" "$(mean "$before")" "$(pos "$after")" "$(mean "$after")" "${kl:-n/a}" "${acc:-?}" "${f1:-?}")
report "PPO positive sentiment (ChnSentiCorp)" "$metrics" "Before:

$("$G" data head "$OUT/scored-before.jsonl" -n 10 --columns text,prediction,predicted_label,reward --width 60)

After:

$("$G" data head "$OUT/scored-after.jsonl" -n 10 --columns text,prediction,predicted_label,reward --width 60)"
