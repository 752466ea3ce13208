#!/usr/bin/env bash
# recipes/summarization — the book's GPT-2 summarization practical on CSL:
# paper abstract → title. SFT of the base GPT-2 on the train side (5 % of it
# held out for eval loss), titles generated for the 150 held-out abstracts
# and scored with character-level ROUGE/BLEU, against the lead-20 baseline
# (the abstract's first 20 characters) scored by the same command.
#
#   bash recipes/summarization/run.sh       # resumes where it stopped
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
begin summarization
splits
base_models gpt2

say "SFT: abstract → title, loss on the title"
timed "SFT" stage "$OUT/sft" sft --model-name-or-path "$BASE_GPT2" \
	--train-file "$SPLITS/csl/train.jsonl" --fields prompt=content --fields response=title \
	--max-length 320 --per-device-train-batch-size 16 --learning-rate 5e-4 --warmup-steps "$(steps 30)" \
	--lr-scheduler-type cosine --max-steps "$(steps 300)" --eval-steps "$(steps 50)" --save-steps "$(steps 50)" \
	--eval-fraction 0.05 --eval-samples 2 --max-new-tokens 32 \
	--load-best-model-at-end --early-stopping-patience 4

# titles MODEL FILE: titles for the held-out abstracts (4 beams, no repeated 3-grams)
titles() {
	g generate --model-name-or-path "$1" --input "$SPLITS/csl/test.jsonl" --fields prompt=content \
		--output-file "$2" --max-new-tokens 32 --num-beams 4 --no-repeat-ngram-size 3 --threads "$THREADS"
}
say "titles for the held-out abstracts"
timed "generate 150 titles" titles "$OUT/sft" "$OUT/pred.jsonl"
say "the same prompts to the base model, before SFT"
titles "$BASE_GPT2" "$OUT/pred-base.jsonl"

say "scores"
model=$(g eval summary --input "$OUT/pred.jsonl" --fields reference=title)
base=$(g eval summary --input "$OUT/pred-base.jsonl" --fields reference=title)
lead=$(g eval summary --input "$SPLITS/csl/test.jsonl" --fields source=content --fields reference=title --lead 20)
row() { awk -v name="$1" '/^rouge-1/ {r1=$2} /^rouge-2/ {r2=$2} /^rouge-l/ {rl=$2} /^bleu-4/ {b=$2} END {printf "| %s | %s | %s | %s | %s |\n", name, r1, r2, rl, b}'; }
metrics=$(printf '| held-out titles (150) | ROUGE-1 | ROUGE-2 | ROUGE-L | BLEU-4 |\n| --- | --- | --- | --- | --- |\n%s\n%s\n%s' \
	"$(row "base GPT-2 + SFT, 4 beams" <<<"$model")" "$(row "base GPT-2 before SFT, same decoding" <<<"$base")" \
	"$(row "lead-20 baseline (the abstract's first 20 characters)" <<<"$lead")")
report "CSL summarization: abstract → title" "$metrics" \
	"$("$G" data head "$OUT/pred.jsonl" -n 10 --columns content,title,prediction --width 60)"
