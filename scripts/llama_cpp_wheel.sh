#!/usr/bin/env bash
# Build (once per CPU class) the llama-cpp-python wheel for this machine and print its path.
#
# pip's own wheel cache is keyed by the source archive, not by the build flags, so a wheel built with AVX-512 on
# one machine would be reused on an AVX2-only one and die there with SIGILL: this keeps one wheel per class in
# ~/.cache/saferag/wheels/<class>/ instead. Measured (docs/benchmarks.md, 2026-12-04): on a Sapphire Rapids VM the
# AVX-512 build reads a prompt 1.5x as fast as the AVX2 one. AMX stays off: ggml's AMX kernels died with SIGILL
# there. The native build (-march=native) is not used for the same reason.
set -euo pipefail
version="${LLAMA_CPP_VERSION:-0.3.36}"
# SAFERAG_CPU_FLAGS stands in for /proc/cpuinfo's flags, and --dry-run prints the class and flags without building:
# both to see what another CPU class would get.
flags=" ${SAFERAG_CPU_FLAGS:-$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2)} "
has() { [[ "$flags" == *" $1 "* ]]; }

if [ -n "${CMAKE_ARGS:-}" ]; then
    class="custom-$(printf '%s' "$CMAKE_ARGS" | sha256sum | cut -c1-12)"
elif ! has avx2 || ! has fma || ! has f16c; then  # older than Haswell: SSE only (slow, but it runs)
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF"
    CMAKE_ARGS+=" -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    class="sse"
else
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
    CMAKE_ARGS+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    class="avx2"
    if has avx512f && has avx512cd && has avx512bw && has avx512dq && has avx512vl; then
        CMAKE_ARGS+=" -DGGML_AVX512=ON"
        class="avx512"
        # The AVX-512 extensions ggml can use, each only where this CPU has it (Zen 4 and Sapphire Rapids have all)
        for ext in vbmi:avx512vbmi vnni:avx512_vnni bf16:avx512_bf16; do
            name="${ext%%:*}"
            if has "${ext#*:}"; then
                CMAKE_ARGS+=" -DGGML_AVX512_${name^^}=ON"
                class+="-$name"
            else
                CMAKE_ARGS+=" -DGGML_AVX512_${name^^}=OFF"
            fi
        done
    else
        CMAKE_ARGS+=" -DGGML_AVX512=OFF"
    fi
    has bmi2 || { CMAKE_ARGS+=" -DGGML_BMI2=OFF"; class+="-nobmi2"; }
fi

if [ "${1:-}" = "--dry-run" ]; then
    echo "$class: $CMAKE_ARGS"
    exit 0
fi
dir="${XDG_CACHE_HOME:-$HOME/.cache}/saferag/wheels/llama-cpp-python-$version-$class"
wheel=$(ls "$dir"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    echo "building llama-cpp-python $version for this CPU ($class; 6-8 minutes on 2 cores)" >&2
    mkdir -p "$dir"
    CMAKE_ARGS="$CMAKE_ARGS" python -m pip wheel --no-deps --no-cache-dir "llama-cpp-python==$version" -w "$dir" >&2
    wheel=$(ls "$dir"/llama_cpp_python-"$version"-*.whl | head -n 1)
fi
echo "$wheel"
