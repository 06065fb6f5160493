#!/usr/bin/env bash
# Rows 2-4 on one CUDA GPU with the upstream-sized preset, mixed precision on and off.
# Needs torch with CUDA already installed; installs nothing but this project (editable,
# no dependencies) and only when it is not importable. About 5 minutes at most: each
# step has its own time limit, and a step that runs out is reported and skipped.
#
#   bash benchmarks/gpu.sh                   # cuda, --preset large
#   DEVICE=cpu PRESET=tiny bash benchmarks/gpu.sh   # plumbing check without a GPU
#
# Results: benchmarks/results/<date>-<device>-<preset>-amp{on,off}[-quick].json
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
DEVICE=${DEVICE:-cuda}
PRESET=${PRESET:-large}

"$PYTHON" -c "import maou_kit" 2>/dev/null || "$PYTHON" -m pip install -q --no-deps -e .
"$PYTHON" - "$DEVICE" <<'PY' || exit 1
import sys, torch
if sys.argv[1] == "cuda" and not torch.cuda.is_available():
    sys.exit("gpu.sh: torch sees no CUDA device")
print("torch", torch.__version__, "device:", torch.cuda.get_device_name(0) if sys.argv[1] == "cuda" else "cpu")
PY

step() {  # step SECONDS AMP ARGS...: one runner call under a time limit, then its GPU memory
    local limit=$1 amp=$2
    shift 2
    echo "== amp $amp: $* (limit ${limit}s)"
    timeout "$limit" "$PYTHON" -m benchmarks --device "$DEVICE" --preset "$PRESET" --amp "$amp" "$@" \
        | tee /tmp/maou_gpu_step.txt
    [ "${PIPESTATUS[0]}" -eq 124 ] && echo "!! step ran past ${limit}s and was stopped"
    "$PYTHON" - /tmp/maou_gpu_step.txt <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
match = re.search(r"written: (\S+)", text)
if match:
    for row in json.load(open(match.group(1)))["rows"]:
        memory = row["settings"].get("peak_gpu_memory_mib")
        if memory is not None:
            print(f"   {row['figure']}: peak GPU memory {memory:.0f} MiB")
PY
}

# Training loops (samples/s, FLOP rate vs matmul) and time to the Stage 1-2 gates, amp on.
step 100 on --only loop_overhead
step 100 on --only time_to_threshold
# Streaming delivery vs this GPU's training consumption (quick sizes: RSS does not need a GPU).
step 45 on --only data_path --quick
# The loops again in fp32.
step 50 off --only loop_overhead
