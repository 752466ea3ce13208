#!/usr/bin/env bash
# recipes/question-rlhf — the book's document → question RLHF practical on
# CMRC2018: SFT of the base GPT-2 on paragraph → question, a reward model
# (from the SFT model) on the book's RewardRank lists (gold question >
# another question of the article > a random sentence > a truncated
# question > random characters), then PPO of the SFT policy against it.
# Whole articles are held out (300 questions); on them: mean reward and
# ROUGE-L against the gold questions before and after PPO, and the reward
# model's pairwise accuracy; the KL at the end of PPO.
#
#   bash recipes/question-rlhf/run.sh       # resumes where it stopped
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
begin question-rlhf
splits
base_models gpt2
LEN=(--max-prompt-length 320)

say "SFT: paragraph → question"
timed "SFT" stage "$OUT/sft" sft --model-name-or-path "$BASE_GPT2" --train-file "$SPLITS/cmrc/train.jsonl" \
	--fields prompt=context --fields response=question --max-length 384 "${LEN[@]}" \
	--per-device-train-batch-size 16 --learning-rate 5e-4 --warmup-steps "$(steps 30)" --lr-scheduler-type cosine \
	--max-steps "$(steps 300)" --eval-steps "$(steps 50)" --save-steps "$(steps 50)" --eval-fraction 0.05 \
	--eval-samples 1 --max-new-tokens 32 --load-best-model-at-end --early-stopping-patience 4

say "reward model on RewardRank lists (train articles; its eval pairs from held-out train articles)"
timed "reward model" stage "$OUT/rm" rm --model-name-or-path "$OUT/sft" --schema cmrc \
	--train-file "$SPLITS/cmrc/train.jsonl" --max-length 384 --per-device-train-batch-size 16 \
	--learning-rate 2e-4 --warmup-steps "$(steps 20)" --max-steps "$(steps 200)" --eval-steps "$(steps 100)" \
	--save-steps "$(steps 50)" --eval-fraction 0.05 --max-eval-samples 100

# ask POLICY NAME: greedy questions for the held-out paragraphs, rewarded and scored.
ask() {
	g generate --model-name-or-path "$1" --input "$SPLITS/cmrc/test.jsonl" --fields prompt=context \
		--max-new-tokens 32 "${LEN[@]}" --threads "$THREADS" --output-file "$OUT/questions-$2.jsonl"
	g rm score --model-name-or-path "$OUT/rm" --input "$OUT/questions-$2.jsonl" --fields prompt=context \
		--fields response=prediction --max-length 384 --threads "$THREADS" --output-file "$OUT/scored-$2.jsonl" | tail -1
	g eval summary --input "$OUT/questions-$2.jsonl" --fields reference=question
}

say "before PPO: the SFT policy"
before=$(ask "$OUT/sft" before)

# fp32: under bf16 autocast the policy's logits are rounded to bf16 and, in
# tests, the reward rose far less than in fp32 for the same seed.
say "PPO of the SFT policy against the reward model"
g data text "$SPLITS/cmrc/train.jsonl" --text-fields context --jsonl >"$OUT/contexts-train.jsonl"
timed "PPO" stage "$OUT/ppo" ppo --model-name-or-path "$OUT/sft" --reward-model "$OUT/rm" \
	--train-file "$OUT/contexts-train.jsonl" --fields prompt=text "${LEN[@]}" \
	--batch-size 16 --mini-batch-size 4 --ppo-epochs 4 --learning-rate 2e-5 \
	--output-min-length 8 --output-max-length 24 --init-kl-coef 0.2 --target 6 \
	--bf16=false --max-steps "$(steps 30)" --save-steps "$(steps 10)" --sample-steps "$(steps 10)"

say "after PPO"
after=$(ask "$OUT/ppo" after)

mean() { sed -n 's/.*mean reward \([-0-9.]*\).*/\1/p' <<<"$1"; }
rl() { awk '/^rouge-l/ {print $2}' <<<"$1"; }
kl=$(grep -o '"objective/kl":[-0-9.e]*' "$OUT/ppo/metrics.jsonl" | tail -1 | cut -d: -f2 | xargs printf '%.4f')
rmacc=$(grep -o '"eval/accuracy":[0-9.]*' "$OUT/rm/metrics.jsonl" | tail -1 | cut -d: -f2 | xargs printf '%.3f')
metrics=$(printf '| held-out articles (300 questions) | mean reward | ROUGE-L vs gold question |\n| --- | --- | --- |\n| SFT policy (before PPO) | %s | %s |\n| after PPO | %s | %s |\n\nKL(policy ‖ SFT) at the last PPO iteration: %s. Reward model pairwise accuracy on its eval pairs: %s.' \
	"$(mean "$before")" "$(rl "$before")" "$(mean "$after")" "$(rl "$after")" "${kl:-n/a}" "${rmacc:-?}")
report "Document → question RLHF (CMRC2018)" "$metrics" "$("$G" data head "$OUT/scored-after.jsonl" -n 10 --columns context,question,prediction,reward --width 50)"
