#!/usr/bin/env bash
# Install Infinity (https://github.com/michaelfeil/infinity), an OpenAI-compatible embedding server, into
# ./.venv-infinity: the real server the served-embedder tests start on 127.0.0.1. It pins numpy 1.x and older
# transformers than saferag's, so it gets a venv of its own (torch 2.13.0 there too: the local CPU build).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-infinity
.venv-infinity/bin/python -m pip install --upgrade pip
.venv-infinity/bin/pip install -c constraints.txt "infinity-emb[server,torch]==0.0.78"
echo "installed: .venv-infinity/bin/infinity_emb"
