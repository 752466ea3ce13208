#!/usr/bin/env bash
# python_peers.sh — create the git-ignored Python venv used ONLY to generate
# committed test fixtures and to run side-by-side peer benchmarks.
# Never needed by `make test`, `make demo` or CI.
#
#   bash scripts/python_peers.sh          # creates .venv-peers/ at the repo root
#   PEERS_VENV=/some/dir bash scripts/python_peers.sh
#
# The pins were checked to work together (about a minute, ~5 GB: the torch
# wheel pulls NVIDIA libraries). Newer datasets/pyarrow break trl==0.11.4
# under numpy 1.x, so keep them pinned.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PEERS_VENV:-$root/.venv-peers}
stamp="$venv/.gotrl-peers-v2"
if [ -f "$stamp" ]; then
  echo "python peers: already installed in $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet \
  torch==2.1.0 transformers==4.46.3 tokenizers==0.20.3 trl==0.11.4 \
  accelerate==1.15.0 datasets==3.0.1 pyarrow==15.0.2 numpy==1.26.4 \
  safetensors rich \
  ctranslate2==4.8.5 peft==0.13.2 tensorboard==2.18.0 sacrebleu==2.4.3
touch "$stamp"
echo "python peers: installed in $venv (activate with: source $venv/bin/activate)"
