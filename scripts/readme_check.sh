#!/usr/bin/env bash
# readme_check.sh — runs every `gotrl …` command of README.md as written, so
# the README cannot drift from the binary.
#
# Every line of a ```sh block that starts with `gotrl ` (or `VAR=value gotrl `; with its `\`
# continuations joined) runs, in README order, in one scratch directory, with
# bin/gotrl as gotrl. Commands that depend on an earlier one's output (sft
# after pretrain) therefore find it. A command ending in `# not run here`
# (hub, internet, GPU) is reported as skipped. Long runs are cut short:
# `--max-steps 2` is appended wherever the command takes --max-steps.
# The book's data is read from ../shared beside the scratch directory, a link
# to $SHARED (default: ../shared beside the checkout), and the checkout's
# configs/ and recipes/ are linked into it, so paths read as in the README.
#
#   bash scripts/readme_check.sh            # or: make readme-check
#
# Environment: SHARED (the book's data), THREADS (adds --threads N to every
# command), KEEP=1 (keep the scratch directory), README (another file).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
readme=${README:-$root/README.md}
bin=$root/bin/gotrl
shared=${SHARED:-$(cd "$root/.." && pwd)/shared}

[ -x "$bin" ] || { echo "readme-check: $bin not found (run make build)" >&2; exit 2; }
[ -f "$readme" ] || { echo "readme-check: $readme not found" >&2; exit 2; }
[ -d "$shared/data" ] || { echo "readme-check: the book's data is not in $shared (set SHARED)" >&2; exit 2; }

# commands prints the README's gotrl commands, one per line, continuations
# joined; awk's state: in a ```sh block or not, and the command being joined.
commands() {
	awk '
		/^```/ { insh = ($0 ~ /^```(sh|bash)[[:space:]]*$/); cmd = ""; next }
		!insh { next }
		{
			line = $0
			if (cmd == "") {
				sub(/^[[:space:]]+/, "", line)
				if (line !~ /^([A-Za-z_][A-Za-z0-9_]*=[^ ]* )*gotrl /) next
			} else {
				sub(/^[[:space:]]+/, " ", line)
			}
			if (line ~ /\\[[:space:]]*$/) { sub(/[[:space:]]*\\[[:space:]]*$/, "", line); cmd = cmd line; next }
			print cmd line
			cmd = ""
		}
	' "$readme"
}

# helpof CMD prints the --help of the gotrl subcommand CMD runs (for launch,
# of the command after --).
helpof() {
	local args=$1 words=() w
	[[ $args == *" -- "* ]] && args=${args#* -- } || args=${args#*gotrl }
	for w in $args; do
		[[ $w == -* || ${#words[@]} -eq 2 ]] && break
		words+=("$w")
	done
	while [ ${#words[@]} -gt 0 ]; do
		"$bin" "${words[@]}" --help 2>/dev/null && return
		unset 'words[${#words[@]}-1]'
	done
}

base=$(mktemp -d "${TMPDIR:-/tmp}/gotrl-readme.XXXXXX")
work=$base/work
mkdir -p "$work"
ln -s "$shared" "$base/shared"
ln -s "$root/configs" "$work/configs"
ln -s "$root/recipes" "$work/recipes"
logs=$base/logs
mkdir -p "$logs"

# uncomment CMD drops a trailing shell comment (a # after a space, outside quotes).
uncomment() { sed -E "s/[[:space:]]+#[^'\"]*\$//" <<<"$1"; }

gotrl() { "$bin" "$@"; }
export -f gotrl
export bin

n=0 pass=0 fail=0 skip=0
while IFS= read -r cmd; do
	n=$((n + 1))
	if [[ $cmd =~ \#[[:space:]]*not\ run\ here[[:space:]]*$ ]]; then
		skip=$((skip + 1))
		printf 'SKIP %2d  %s\n' "$n" "$(uncomment "$cmd")"
		continue
	fi
	cmd=$(uncomment "$cmd")
	run=$cmd
	helpof "$cmd" | grep -q -- '--max-steps' && run="$run --max-steps 2"
	[ -n "${THREADS:-}" ] && run="$run --threads $THREADS"
	start=$(date +%s)
	(cd "$work" && timeout 900 bash -c "$run") >"$logs/$n.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS %2d  %3ds  %s\n' "$n" "$secs" "$cmd"
	else
		fail=$((fail + 1))
		printf 'FAIL %2d  %3ds  %s\n      exit %d; last lines of its output:\n' "$n" "$secs" "$cmd" "$rc"
		tail -n 8 "$logs/$n.log" | sed 's/^/      | /'
	fi
done < <(commands)

printf '\nreadme-check: %d commands: %d passed, %d failed, %d skipped (# not run here)\n' "$n" "$pass" "$fail" "$skip"
if [ $fail -gt 0 ] || [ -n "${KEEP:-}" ]; then
	echo "scratch directory and logs kept in $base"
else
	rm -rf "$base"
fi
[ $fail -eq 0 ]
