#!/usr/bin/env bash
# bench.sh — the standing benchmark harness (`make bench`): every figure of
# issue 15 next to its peer, run interleaved (gotrl, peer, gotrl, peer, …)
# so both see the same machine, printed as one table with the CPU's model
# and flags and written to bench/results-<cpu>.md (one file per kind of
# CPU; commit it).
#
#   make bench                                  # everything, 2 rounds
#   BENCH_ONLY="ops train-small" make bench     # some figures
#   BENCH_ROUNDS=3 BENCH_THREADS=2 make bench
#   BENCH_OUT=bench/results-amd-epyc-zen5.md make bench   # when two kinds of CPU share a model name
#   BENCH_WARMUP=2 BENCH_ONLY=train-bf16 make bench        # training steps timed after 2 warm-up steps
#   BENCH_ISA=avx2 make bench   # both sides kept to AVX2 (a CPU without AVX-512, imitated)
#
# Figures are each program's own timing (wall, and process CPU time where
# the program prints it) and /usr/bin/time's peak RSS. A range is min–max
# over the rounds; a ratio is gotrl/peer per round, as the median (min–max)
# (time: < 1 is faster; tokens/s: > 1 is faster). Rounds alternate the order
# (gotrl first, then peers first). Python peers (PyTorch, HF, TRL) run from the
# peers venv (scripts/python_peers.sh; PEERS_VENV to use another): each
# with glibc's defaults and with the allocator setting gotrl's own
# measurement compares against (GLIBC_TUNABLES below), as the issue asks.
# One function per figure: add a figure by adding a function and its name
# to BENCH_ONLY's default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=${BENCH_ROUNDS:-2}
threads=${BENCH_THREADS:-2}
warmup=${BENCH_WARMUP:-1} # unmeasured training steps before the timed ones, both sides
only=${BENCH_ONLY:-"ops train-small train-big train-bf16 decode ppo"}
venv=${PEERS_VENV:-$root/.venv-peers}
py="$venv/bin/python"
gotrl=bin/gotrl
tuned="glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296"
prefix=$(sed -n 's/^replace github.com\/sugarme\/gotch v0.9.1 => \(.*\)\/gotch$/\1/p' go.work)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=()

[ -x "$gotrl" ] || { echo "bench: $gotrl missing (make build)" >&2; exit 1; }

# BENCH_ISA=avx2 keeps every library of both sides to AVX2 and FMA through
# its own switch — ATen's kernels and gotrl's (ATEN_CPU_CAPABILITY), oneDNN,
# MKL, fbgemm, CTranslate2 — so that a CPU with AVX-512 runs the code a CPU
# without it runs (not its caches or clocks). bf16 autocast is then off.
isa=${BENCH_ISA:-}
case "$isa" in
  "") ;;
  avx2)
    export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
      FBGEMM_ENABLE_INSTRUCTIONS=AVX2 CT2_FORCE_CPU_ISA=AVX2 ;;
  *) echo "bench: BENCH_ISA=$isa: want avx2 or nothing" >&2; exit 2 ;;
esac
have_py() { [ -x "$py" ]; }
native=1 # how many of interleave's first commands need no Python

# run ID CMD…: run CMD under /usr/bin/time, append its standard output to
# $tmp/ID.out and its peak RSS (MiB) to $tmp/ID.rss; echo the output (and
# the error output too when it fails).
run() {
  local id=$1; shift
  local out=$tmp/run.out
  /usr/bin/time -f '%M' -o "$tmp/time" "$@" >"$out" 2>"$tmp/run.err" || {
    cat "$out" "$tmp/run.err" >&2; echo "bench: $* failed" >&2; return 1; }
  cat "$out" >>"$tmp/$id.out"
  awk '{printf "%.0f\n", $1/1024}' "$tmp/time" >>"$tmp/$id.rss"
  sed 's/^/    /' "$out"
}

# grab ID AWK-REGEX: the number before the first match of the pattern on
# each matching line of ID's output, one per line (one per round).
grab() { grep -oE "[0-9.]+ $2" "$tmp/$1.out" | awk '{print $1}' >"$tmp/$1.$3"; }

# range FILE [FORMAT]: "min–max" (or the single value) of a column of
# numbers, printed with FORMAT (default %.3g).
range() {
  sort -g "$1" | awk -v f="${2:-%.3g}" 'NR==1{lo=$1} {hi=$1; n++}
    END{if (n==0) print "–"; else if (lo==hi) printf f "\n", lo; else printf f "–" f "\n", lo, hi}'
}

# ratio A B: per-round A/B, as "median (min–max)".
ratio() {
  paste "$1" "$2" | awk '$2>0{print $1/$2}' | sort -g >"$tmp/r"
  [ -s "$tmp/r" ] || { echo "–"; return; }
  awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; if (NR==1) printf "%.2f×\n", m; else printf "%.2f× (%.2f–%.2f)\n", m, v[1], v[NR]}' "$tmp/r"
}

# interleave NAME…: $rounds rounds of the commands held in the arrays
# NAME… (gotrl's first), in order on odd rounds and reversed on even ones
# (A B B A …), so a machine that drifts during a round favours no side.
# With no peers venv, only gotrl's (and the C++ floor's) run.
interleave() {
  local r i names=("$@")
  have_py || names=("${names[@]:0:$native}")
  for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
      [ $((r % 2)) = 1 ] || i=$((${#names[@]} - 1 - i))
      local -n cmd=${names[$i]}
      "${cmd[@]}"
      unset -n cmd
    done
  done
}

# row FIGURE UNIT A-ID A-NAME B-ID B-NAME KEY [B-KEY]: one table row from
# two runs' grabbed KEY figures (B-KEY's for B, when given) and peak RSS.
row() {
  local fig=$1 unit=$2 a=$3 an=$4 b=$5 bn=$6 key=$7 bkey=${8:-$7}
  rows+=("| $fig | $an $(range "$tmp/$a.$key") $unit | $bn $(range "$tmp/$b.$bkey") $unit | $(ratio "$tmp/$a.$key" "$tmp/$b.$bkey") | $(range "$tmp/$a.rss" %d) / $(range "$tmp/$b.rss" %d) MiB |")
}

# ---- figures ------------------------------------------------------------------

# On AMD CPUs PyTorch's MKL runs its generic kernels, while gotrl answers
# MKL's vendor check (scripts/gotch/README.md row 1b). mkl_peer is the env
# prefix that preloads gotrl's answer into a Python peer too, so that it
# runs the float32 GEMMs an Intel CPU would give it; empty elsewhere, where
# the figure is skipped.
mkl_peer=()
grep -q AuthenticAMD /proc/cpuinfo && [ -f "$prefix/lib/libgotrl_mkl.so" ] && mkl_peer=(env LD_PRELOAD="$prefix/lib/libgotrl_mkl.so")
mkl_name="MKL's vendor check answered as gotrl does"

fig_ops() {
  local n=${BENCH_OPS:-1000000}
  echo "== per-op: 8x8 float32 add + free, 1 thread, $n ops"
  if [ ! -x bin/ops_cpp ] || [ bench/ops.cpp -nt bin/ops_cpp ]; then
    g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=0 -I"$prefix/include" bench/ops.cpp -o bin/ops_cpp \
      -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -ltorch_cpu -lc10
  fi
  # ops_o: gotrl with libtorch's own allocator (GOTRL_ALLOCATOR=off), the
  # same allocator the C++ floor uses
  local g=(run ops_g "$gotrl" bench ops --threads 1 -n "$n") c=(run ops_c bin/ops_cpp "$n" 1)
  local o=(run ops_o env GOTRL_ALLOCATOR=off "$gotrl" bench ops --threads 1 -n "$n")
  local p=(run ops_p "$py" bench/ops.py "$n" 1)
  native=3 interleave g c o p
  local id
  for id in ops_g ops_o; do
    grep 'add+free' "$tmp/$id.out" | grep -oE '[0-9.]+ µs/op cpu' | awk '{print $1}' >"$tmp/$id.free"
  done
  grep 'Scope' "$tmp/ops_g.out" | grep -oE '[0-9.]+ µs/op cpu' | awk '{print $1}' >"$tmp/ops_g.scope"
  grab ops_c 'us/op cpu' free
  row "per-op 8×8 add+free, 1 thread (CPU µs/op)" µs ops_g gotrl ops_c "libtorch C++" free
  row "per-op 8×8 add+free, 1 thread, both on libtorch's allocator (CPU µs/op)" µs ops_o "gotrl, GOTRL_ALLOCATOR=off" ops_c "libtorch C++" free
  cp "$tmp/ops_g.scope" "$tmp/ops_s.free"; cp "$tmp/ops_g.rss" "$tmp/ops_s.rss"
  row "per-op 8×8 add in a Scope, 1 thread (CPU µs/op)" µs ops_s "gotrl Scope" ops_c "libtorch C++" free
  if have_py; then
    grab ops_p 'us/op cpu' free
    row "per-op 8×8 add+free, 1 thread (CPU µs/op)" µs ops_g gotrl ops_p PyTorch free
  fi
}

# train SHAPE STEPS TAG [BF16]: interleaved rounds of gotrl (its default
# allocator), PyTorch with glibc's defaults and PyTorch with GLIBC_TUNABLES.
train() {
  local shape=$1 steps=$2 tag=$3 bf16=${4:-false} pyflag=()
  [ "$bf16" = true ] && pyflag=(--bf16)
  echo "== train step $shape, bf16 $bf16, $threads threads, $steps steps"
  local g=(run "${tag}_g" "$gotrl" bench train --shape "$shape" --steps "$steps" --warmup "$warmup" --threads "$threads" --bf16="$bf16")
  local pt=(run "${tag}_pt" env GLIBC_TUNABLES="$tuned" "$py" bench/train.py --shape "$shape" --steps "$steps" --warmup "$warmup" --threads "$threads" "${pyflag[@]}")
  local pd=(run "${tag}_pd" "$py" bench/train.py --shape "$shape" --steps "$steps" --warmup "$warmup" --threads "$threads" "${pyflag[@]}")
  local pm=(run "${tag}_pm" "${mkl_peer[@]}" env GLIBC_TUNABLES="$tuned" "$py" bench/train.py --shape "$shape" --steps "$steps" --warmup "$warmup" --threads "$threads" "${pyflag[@]}")
  local peers=(pt pd)
  [ "$bf16" = false ] && [ ${#mkl_peer[@]} -gt 0 ] && peers+=(pm)
  interleave g "${peers[@]}"
  have_py || { rows+=("| train $shape | skipped: no peers venv | | | |"); return; }
  for id in "${tag}_g" "${tag}_pd" "${tag}_pt"; do grab "$id" 's/step ' wall; grab "$id" 'cpu s/step' cpu; done
  row "train $shape, bf16 $bf16 (s/step)" s "${tag}_g" gotrl "${tag}_pt" "PyTorch, tunables" wall
  row "train $shape, bf16 $bf16 (CPU s/step)" s "${tag}_g" gotrl "${tag}_pt" "PyTorch, tunables" cpu
  row "train $shape, bf16 $bf16 (s/step)" s "${tag}_g" gotrl "${tag}_pd" "PyTorch, glibc defaults" wall
  if [ -s "$tmp/${tag}_pm.out" ]; then
    grab "${tag}_pm" 's/step ' wall
    row "train $shape, bf16 $bf16 (s/step)" s "${tag}_g" gotrl "${tag}_pm" "PyTorch, tunables, $mkl_name" wall
  fi
}

fig_train_small() { train small "${BENCH_SMALL_STEPS:-20}" small; }
# The 12×768 figures take minutes per run: BENCH_BIG_ROUNDS and
# BENCH_BIG_STEPS shorten them.
fig_train_big() { rounds=${BENCH_BIG_ROUNDS:-$rounds} train big "${BENCH_BIG_STEPS:-2}" big; }
fig_train_bf16() {
  local why
  why=$("$gotrl" env | sed -n 's/^cpu bf16 *//p')
  case "$why" in
    no:*) rows+=("| train big, bf16 autocast | skipped: ${why#no: } | | | |") ;;
    *) rounds=${BENCH_BIG_ROUNDS:-$rounds} train big "${BENCH_BIG_STEPS:-2}" bf16 true ;;
  esac
}

# decode: greedy decoding of the 12×768 GPT-2, fp32 against HF generate and
# int8 against CTranslate2's int8. Every command prints lines
# "batch B  cache  [PRECISION]  N tokens/s  M ms CPU/token". gotrl runs
# each precision in a process of its own, so that each row's peak RSS is
# that precision's alone; bf16 (what --quantize auto picks where the CPU
# has AMX) is compared with CTranslate2's int8 too.
#
# At batch 1 a step reads every weight once (the 12×768 GPT-2's blocks and
# its tied LM head: 101,280,768 float32s), so the machine's read speed,
# measured between the decoders by bench/memread.c, bounds every decoder:
# the "read ceiling" rows give each side's share of it. gotrl's greedy
# search reads the LM head's int8 screen instead of the head (a byte a
# weight, and two float32s a row), so its ceiling is that many bytes'.
weight_bytes=$((4 * (12 * (12 * 768 * 768 + 13 * 768) + 21128 * 768)))
screened_bytes=$((4 * 12 * (12 * 768 * 768 + 13 * 768) + 21128 * 768 + 8 * 21128))
fig_decode() {
  echo "== greedy decode 12×768, prompt 32, 128 new, $threads threads"
  if [ ! -x bin/memread ] || [ bench/memread.c -nt bin/memread ]; then
    "${CC:-cc}" -O3 -march=native -pthread bench/memread.c -o bin/memread
  fi
  local m=(run dec_m bin/memread "$weight_bytes" "$threads")
  local g32=(run dec_g32 "$gotrl" bench generate --threads "$threads" --batch-sizes 1,8 --uncached=false --precisions fp32)
  local g8=(run dec_g8 "$gotrl" bench generate --threads "$threads" --batch-sizes 1,8 --uncached=false --precisions int8)
  local g16=(run dec_g16 "$gotrl" bench generate --threads "$threads" --batch-sizes 1,8 --uncached=false --precisions bf16)
  local p=(run dec_p "$py" bench/generate.py --threads "$threads" --batch 1 8 --no-uncached)
  local c=(run dec_c "$py" bench/generate_ct2.py --threads "$threads" --batch 1 8 --compute-type int8)
  local pm=(run dec_pm "${mkl_peer[@]}" "$py" bench/generate.py --threads "$threads" --batch 1 8 --no-uncached)
  # Each gotrl run sits beside the peer it is compared with (the machine's
  # speed drifts over minutes), and the read ceiling beside both fp32 runs.
  local order=(m g32 p)
  [ ${#mkl_peer[@]} -gt 0 ] && order+=(pm)
  order+=(g8 c g16)
  native=0 interleave "${order[@]}"
  grep -oE '[0-9.]+ GB/s' "$tmp/dec_m.out" | awk -v b="$weight_bytes" '{print $1 * 1e9 / b}' >"$tmp/dec_m.b1"
  grep -oE '[0-9.]+ GB/s' "$tmp/dec_m.out" | awk -v b="$screened_bytes" '{print $1 * 1e9 / b}' >"$tmp/dec_m.s1"
  have_py || { rows+=("| decode | skipped: no peers venv | | | |"); return; }
  local b id
  for b in 1 8; do
    pick() { grep -E "^batch $b +cache +$3" "$tmp/$1.out" | grep -oE "[0-9.]+ $4" | awk '{print $1}' >"$tmp/$2"; }
    pick dec_g32 dec_g32.b$b 'fp32 ' 'tokens/s'
    pick dec_g8 dec_g8.b$b 'int8 ' 'tokens/s'
    pick dec_g16 dec_g16.b$b 'bf16 ' 'tokens/s'
    pick dec_p dec_p.b$b '' 'tokens/s'
    pick dec_c dec_c.b$b 'int8 ' 'tokens/s'
    row "greedy decode fp32, batch $b (tokens/s; ratio > 1 is faster)" tok/s dec_g32 "gotrl fp32" dec_p "HF generate" "b$b"
    row "greedy decode int8, batch $b (tokens/s; ratio > 1 is faster)" tok/s dec_g8 "gotrl int8" dec_c "CTranslate2 int8" "b$b"
    row "greedy decode bf16, batch $b (tokens/s; ratio > 1 is faster)" tok/s dec_g16 "gotrl bf16" dec_c "CTranslate2 int8" "b$b"
    if [ -s "$tmp/dec_pm.out" ]; then
      pick dec_pm dec_pm.b$b '' 'tokens/s'
      row "greedy decode fp32, batch $b (tokens/s; ratio > 1 is faster)" tok/s dec_g32 "gotrl fp32" dec_pm "HF generate, $mkl_name" "b$b"
    fi
  done
  local ceiling="read ceiling: $weight_bytes bytes a token at bench/memread's speed"
  row "greedy decode fp32, batch 1, share of the read ceiling (tokens/s)" tok/s dec_g32 "gotrl fp32" dec_m \
    "read ceiling: $screened_bytes bytes a token (the LM head's int8 screen) at bench/memread's speed" b1 s1
  row "greedy decode fp32, batch 1, share of the read ceiling (tokens/s)" tok/s dec_p "HF generate" dec_m "$ceiling" b1
  [ -s "$tmp/dec_pm.out" ] && row "greedy decode fp32, batch 1, share of the read ceiling (tokens/s)" tok/s dec_pm "HF generate, $mkl_name" dec_m "$ceiling" b1
  return 0
}

fig_ppo() {
  echo "== PPO iteration 4×256, batch 16, mini-batch 4, 4 epochs, $threads threads"
  local g=(run ppo_g "$gotrl" bench ppo --threads "$threads")
  local pt=(run ppo_pt env GLIBC_TUNABLES="$tuned" "$py" bench/ppo.py --threads "$threads")
  local pd=(run ppo_pd "$py" bench/ppo.py --threads "$threads")
  local pm=(run ppo_pm "${mkl_peer[@]}" env GLIBC_TUNABLES="$tuned" "$py" bench/ppo.py --threads "$threads")
  local peers=(pt pd)
  [ ${#mkl_peer[@]} -gt 0 ] && peers+=(pm)
  interleave g "${peers[@]}"
  have_py || { rows+=("| PPO | skipped: no peers venv | | | |"); return; }
  for id in ppo_g ppo_pd ppo_pt ppo_pm; do
    [ -s "$tmp/$id.out" ] || continue
    grab "$id" 's  \(rollout' iter
    grep -oE 'rollout [0-9.]+' "$tmp/$id.out" | awk '{print $2}' >"$tmp/$id.roll"
    grab "$id" 'cpu s' cpu
  done
  row "PPO iteration (s)" s ppo_g gotrl ppo_pt "TRL 0.11.4, tunables" iter
  row "PPO iteration (CPU s)" s ppo_g gotrl ppo_pt "TRL 0.11.4, tunables" cpu
  row "PPO rollout (s)" s ppo_g gotrl ppo_pt "TRL generate, tunables" roll
  row "PPO iteration (s)" s ppo_g gotrl ppo_pd "TRL 0.11.4, glibc defaults" iter
  if [ -s "$tmp/ppo_pm.out" ]; then
    row "PPO iteration (s)" s ppo_g gotrl ppo_pm "TRL 0.11.4, tunables, $mkl_name" iter
    row "PPO rollout (s)" s ppo_g gotrl ppo_pm "TRL generate, tunables, $mkl_name" roll
  fi
}

# ---- the table ----------------------------------------------------------------

model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
# a model name can hide the generation (a VM's "Intel(R) Xeon(R) Processor"); family and model tell it
family=$(lscpu | sed -n 's/^CPU family: *//p' | head -1)
cpu_model=$(lscpu | sed -n 's/^Model: *//p' | head -1)
flags=$(lscpu | sed -n 's/^Flags: *//p' | head -1)
slug=$(echo "$model" | tr 'A-Z' 'a-z' | sed -E 's/\((r|tm)\)//g; s/[^a-z0-9]+/-/g; s/^-|-$//g')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for f in $only; do "fig_${f//-/_}"; done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

out=${BENCH_OUT:-bench/results-$slug${isa:+-$isa}.md} # two kinds of CPU may share a model name
{
  echo "# gotrl benchmarks on $model (family $family, model $cpu_model)"
  echo
  echo "\`make bench\` ($(date -u +%Y-%m-%d), $(nproc) CPUs, $threads threads unless said, $rounds interleaved rounds, $warmup warm-up step(s) before timed training steps,"
  echo "load average $load0 at start, $load1 at end; gotrl's allocator: $("$gotrl" env | sed -n 's/^cpu allocator *//p' | cut -d' ' -f1)."
  echo "Tunables = GLIBC_TUNABLES=$tuned; OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} for both sides.)"
  [ -z "$isa" ] || echo "Both sides kept to ${isa^^}: ATEN_CPU_CAPABILITY=$ATEN_CPU_CAPABILITY ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA MKL_ENABLE_INSTRUCTIONS=$MKL_ENABLE_INSTRUCTIONS FBGEMM_ENABLE_INSTRUCTIONS=$FBGEMM_ENABLE_INSTRUCTIONS CT2_FORCE_CPU_ISA=$CT2_FORCE_CPU_ISA; the CPU's flags below are the machine's."
  echo
  echo "| figure | gotrl | peer | ratio gotrl/peer | peak RSS gotrl / peer |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "CPU flags: \`$flags\`"
} >"$out"
echo
cat "$out"
echo
echo "written to $out"
