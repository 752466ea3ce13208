# recipes/lib.sh — what every recipe shares: paths, the binary, the held-out
# test splits (defined here once, so no recipe can train on another's test
# side), resumable stages and the report. Sourced, not run.
#
# Environment:
#   SHARED   the book's data (default: ../shared beside the checkout)
#   RUNS     where runs go (default: runs/recipes in the checkout)
#   GOTRL    the binary (default: bin/gotrl, built with `make build` if missing)
#   SCALE    multiplies every step count (e.g. SCALE=0.02 for a smoke run)
#   THREADS  libtorch threads (default: all cores)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
RUNS=${RUNS:-$ROOT/runs/recipes}
G=${GOTRL:-$ROOT/bin/gotrl}
SCALE=${SCALE:-1}
THREADS=${THREADS:-0}
VOCAB=$SHARED/vocab/bert-base-chinese-vocab.txt
SPLITS=$RUNS/splits
BASE_GPT2=${BASE_GPT2:-$RUNS/base/gpt2}
BASE_BERT=${BASE_BERT:-$RUNS/base/bert}

[ -d "$SHARED/data" ] || { echo "recipes: $SHARED/data not found (set SHARED to the book's data sets)" >&2; exit 1; }
if [ ! -x "$G" ]; then (cd "$ROOT" && make build); fi

# steps N: N scaled by SCALE, at least 2.
steps() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 2) v = 2; print v }'; }

say() { printf '\n== %s\n' "$*"; }

# split NAME FILE ARGS...: the held-out test side of one data set, written once
# to $SPLITS/NAME/{train,test}.jsonl. The sizes and seeds are the practicals'.
split() {
	local name=$1 file=$2
	shift 2
	[ -f "$SPLITS/$name/test.jsonl" ] || "$G" data split "$file" "$SPLITS/$name" --split-seed 1 "$@"
}
splits() {
	split csl "$SHARED/data/csl-summarization/csl.json" --test-size 150
	split ie "$SHARED/data/fault-ie/ori_data.jsonl" --test-size 120
	split cmrc "$SHARED/data/cmrc2018/cmrc_dev.json" --test-size 300 --group-by article_id
	split senti "$SHARED/data/chnsenticorp/ChnSentiCorp_htl_all.csv" --test-size 500
}

# base_models gpt2|bert...: build the base models a recipe needs unless
# they exist or are hub ids.
base_models() {
	local name m
	for name in "$@"; do
		case $name in gpt2) m=$BASE_GPT2 ;; bert) m=$BASE_BERT ;; esac
		if [[ $m == /* && ! -f $m/config.json ]]; then
			bash "$ROOT/recipes/base/run.sh" "$name"
		fi
	done
}

# g ARGS...: run gotrl, recording the command for the report.
g() {
	[ -n "${REPORT_CMDS:-}" ] && printf 'gotrl%s\n' "$(printf ' %q' "$@" | sed "s|$RUNS/|runs/recipes/|g; s|$SHARED/|../shared/|g; s|$ROOT/||g")" >>"$REPORT_CMDS"
	"$G" "$@"
}

# begin NAME: a recipe's run directory and report files.
begin() {
	OUT=$RUNS/$1
	mkdir -p "$OUT"
	REPORT_TIMES=$OUT/.times.md
	REPORT_CMDS=$OUT/.commands.txt
	: >"$REPORT_TIMES"
	: >"$REPORT_CMDS"
	T0=$(date +%s)
}

# report TITLE METRICS_MD [SAMPLES_MD]: write $OUT/report.md and print it.
report() {
	{
		printf '# %s\n\nMeasured on %s; %s; total %d s (stages already finished are skipped and not timed).\n\n' \
			"$1" "$(cpu)" "$(bf16_note)" "$(($(date +%s) - T0))"
		printf '## Metrics\n\n%s\n\n## Time\n\n| step | wall |\n| --- | --- |\n' "$2"
		cat "$REPORT_TIMES"
		printf '\n## Commands\n\n```sh\n'
		cat "$REPORT_CMDS"
		printf '```\n'
		[ -z "${3:-}" ] || printf '\n## Samples (the first 10 of the test split)\n\n%s\n' "$3"
		printf '\n## Curves\n\n'
		for p in "$OUT"/*/plots/*.png; do
			[ -e "$p" ] && printf '![%s](%s)\n' "${p#"$OUT"/}" "${p#"$OUT"/}"
		done
	} >"$OUT/report.md"
	cat "$OUT/report.md"
}

# stage DIR gotrl-args...: one training stage, skipped when DIR holds its final
# model, resumed from its newest checkpoint when one exists, else started.
stage() {
	local out=$1
	shift
	if [ -f "$out/model.safetensors" ] || [ -f "$out/adapter_model.safetensors" ]; then
		echo "$out: done, skipped"
	elif compgen -G "$out/checkpoint-*" >/dev/null; then
		g "$@" --resume "$out" --output-dir "$out" --threads "$THREADS"
	else
		g "$@" --output-dir "$out" --overwrite-output-dir --threads "$THREADS"
	fi
}

# timed LABEL cmd...: run cmd and append "LABEL: N s" to $REPORT_TIMES.
timed() {
	local label=$1 t0
	shift
	t0=$(date +%s)
	"$@"
	echo "| $label | $(($(date +%s) - t0)) s |" >>"$REPORT_TIMES"
}

# bf16_note: whether training used bf16 (--bf16 auto).
bf16_note() {
	if grep -q -w -E 'amx_bf16|avx512_bf16' /proc/cpuinfo 2>/dev/null; then
		echo "bf16 autocast on (the CPU has AVX-512-BF16/AMX)"
	else
		echo "fp32 (no bf16 hardware)"
	fi
}

# cpu: the CPU a figure was measured on.
cpu() {
	local model flags
	model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
	flags=$(grep -o -w -E 'avx512f|avx512_bf16|amx_bf16|avx2' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')
	echo "${model:-unknown CPU}, $(nproc) cores${flags:+, ${flags% }}"
}
