#!/usr/bin/env bash
# recipes/base — the base models every practical starts from, pretrained here
# on all the Chinese text of the book's data sets except every test split the
# practicals hold out (recipes/lib.sh defines the splits):
#   gpt2/  a 4×256 Chinese GPT-2 (causal LM), bert-base-chinese vocabulary
#   bert/  a 4×256 Chinese BERT (masked LM, whole-word masking), same vocabulary
# With internet, start the practicals from public checkpoints instead, e.g.
#   BASE_GPT2=uer/gpt2-chinese-cluecorpussmall BASE_BERT=bert-base-chinese bash recipes/summarization/run.sh
#
#   bash recipes/base/run.sh [gpt2|bert]    # both by default; resumes where it stopped
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
want=${1:-all}
case $want in all | gpt2 | bert) ;; *) echo "usage: recipes/base/run.sh [gpt2|bert]" >&2; exit 2 ;; esac
OUT=$RUNS/base
mkdir -p "$OUT"
REPORT_TIMES=$OUT/.times.md # kept across runs: the two models may be built by separate runs
REPORT_CMDS=$OUT/.commands.txt
touch "$REPORT_TIMES" "$REPORT_CMDS"

say "held-out test splits of the four data sets"
splits

if [ ! -s "$OUT/corpus.txt" ]; then
	say "corpus: the train sides' texts, each once"
	g data text "$SPLITS/csl/train.jsonl" "$SPLITS/ie/train.jsonl" "$SPLITS/cmrc/train.jsonl" "$SPLITS/senti/train.jsonl" \
		--text-fields title --text-fields content --text-fields text --text-fields context \
		--text-fields question --text-fields review >"$OUT/corpus.tmp"
	mv "$OUT/corpus.tmp" "$OUT/corpus.txt"
fi
wc -l <"$OUT/corpus.txt" | xargs printf '%s texts\n'

COMMON=(--tokenizer-name "$VOCAB" --train-file "$OUT/corpus.txt" --eval-fraction 0.03 --max-length 256
	--per-device-train-batch-size 16 --learning-rate 1e-3 --lr-scheduler-type cosine --weight-decay 0.01
	--warmup-steps "$(steps 100)" --max-steps "$(steps 1000)" --eval-steps "$(steps 150)"
	--save-steps "$(steps 150)" --save-total-limit 2 --load-best-model-at-end)

if [ "$want" != bert ]; then
	say "GPT-2 4×256, causal LM"
	[ -f "$OUT/gpt2/model.safetensors" ] || timed "pretrain GPT-2" stage "$OUT/gpt2" pretrain --config-name "$here/gpt2.json" "${COMMON[@]}"
	say "greedy continuations of the base GPT-2"
	for p in 本文提出一种基于深度学习的 汽车发动机异响的原因 这家酒店的服务; do
		g generate --model-name-or-path "$OUT/gpt2" --prompt "$p" --max-new-tokens 40 --threads "$THREADS"
	done >"$OUT/samples.txt"
	cat "$OUT/samples.txt"
fi
if [ "$want" != gpt2 ]; then
	say "BERT 4×256, masked LM with whole-word masking"
	[ -f "$OUT/bert/model.safetensors" ] || timed "pretrain BERT" stage "$OUT/bert" pretrain --config-name "$here/bert.json" "${COMMON[@]}" --whole-word-mask
fi

# best held-out perplexity and token accuracy of a run, from its metrics.jsonl
ppl() { grep -o '"eval/perplexity":[0-9.]*' "$OUT/$1/metrics.jsonl" 2>/dev/null | cut -d: -f2 | sort -g | head -1 | xargs printf '%.1f' 2>/dev/null || echo "not built"; }
acc() { grep -o '"eval/accuracy":[0-9.]*' "$OUT/$1/metrics.jsonl" 2>/dev/null | cut -d: -f2 | sort -g | tail -1 | awk '{printf "%.1f %%", 100 * $1}'; }
{
	printf '# Base models\n\nMeasured on %s; %s.\n\n' "$(cpu)" "$(bf16_note)"
	printf '| model | objective | best held-out perplexity | held-out token accuracy |\n| --- | --- | --- | --- |\n'
	printf '| gpt2/ 4×256 GPT-2 | causal LM | %s | %s |\n| bert/ 4×256 BERT | MLM, whole-word masking | %s | %s |\n' \
		"$(ppl gpt2)" "$(acc gpt2)" "$(ppl bert)" "$(acc bert)"
	printf '\nA BERT trained from scratch first learns only how frequent each token is (its masked-token\n'
	printf 'accuracy then equals the most frequent token'"'"'s share, about 3 %% here) and leaves that plateau only\n'
	printf 'after many more steps than a GPT-2 needs (on a toy corpus whose masked characters their neighbours\n'
	printf 'determine, HF'"'"'s BertForMaskedLM with the same shape and settings was no faster). Where the BERT\n'
	printf 'above has not left it, start from bert-base-chinese (BASE_BERT=bert-base-chinese).\n'

	printf '\nCorpus: %s texts (the train sides of CSL, fault-IE, CMRC2018 and ChnSentiCorp).\n\n## Time\n\n| step | wall |\n| --- | --- |\n' "$(wc -l <"$OUT/corpus.txt")"
	cat "$REPORT_TIMES"
	printf '\n## Commands\n\n```sh\n'
	cat "$REPORT_CMDS"
	printf '```\n\n## Greedy continuations of the base GPT-2\n\n```\n'
	cat "$OUT/samples.txt" 2>/dev/null
	printf '```\n\n## Curves\n\n'
	for p in "$OUT"/*/plots/loss.png "$OUT"/*/plots/eval_perplexity.png; do
		[ -e "$p" ] && printf '![%s](%s)\n' "${p#"$OUT"/}" "${p#"$OUT"/}"
	done
} >"$OUT/report.md"
cat "$OUT/report.md"
