#!/usr/bin/env bash
# Rows 2-4 on one CUDA GPU with the upstream-sized preset, mixed precision on and off.
# Needs torch with CUDA already installed; installs nothing but this project (editable,
# no dependencies) and only when it is not importable. Under 5 minutes: each step has
# its own time limit, cut to what is left of BUDGET seconds (default 280) counted from
# the start; a step that runs out is stopped and reported, one with no time left skipped.
#
#   bash benchmarks/gpu.sh                                  # cuda, --preset large
#   DEVICE=cpu PRESET=tiny QUICK=1 bash benchmarks/gpu.sh   # plumbing check without a GPU
#
# One result file per step: $RESULTS/<date>-<device>-<preset>-amp{on,off}-<rows>[-quick].json
# (RESULTS defaults to benchmarks/results). Exit status 1 when any step failed or ran out
# of time, after every step has had its turn.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
DEVICE=${DEVICE:-cuda}
PRESET=${PRESET:-large}
RESULTS=${RESULTS:-benchmarks/results}
BUDGET=${BUDGET:-280}
QUICK_FLAG=()
[ -n "${QUICK:-}" ] && QUICK_FLAG=(--quick)
failed=0

"$PYTHON" -c "import maou_kit" 2>/dev/null || "$PYTHON" -m pip install -q --no-deps -e .
"$PYTHON" - "$DEVICE" <<'PY' || exit 1
import sys, torch
if sys.argv[1] == "cuda" and not torch.cuda.is_available():
    sys.exit("gpu.sh: torch sees no CUDA device")
print("torch", torch.__version__, "device:", torch.cuda.get_device_name(0) if sys.argv[1] == "cuda" else "cpu")
PY

step() {  # step SECONDS AMP ROWS [ARGS...]: one runner call under a time limit, then its GPU memory
    local limit=$1 amp=$2 rows=$3
    shift 3
    local left=$((BUDGET - SECONDS))
    if [ "$left" -lt 10 ]; then
        echo "!! $rows (amp $amp) skipped: ${left}s left of the ${BUDGET}s budget"
        failed=1
        return
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    local quick=${QUICK:+-quick}
    [[ " $* " == *" --quick "* ]] && quick=-quick  # quick sizes for this step only
    local output="$RESULTS/$(date +%F)-$DEVICE-$PRESET-amp$amp-$rows$quick.json"
    echo "== amp $amp: $rows $* (limit ${limit}s)"
    timeout -k 5 "$limit" "$PYTHON" -m benchmarks --device "$DEVICE" --preset "$PRESET" --amp "$amp" \
        --only "$rows" --output "$output" "${QUICK_FLAG[@]}" "$@"
    local status=$?
    if [ "$status" -ne 0 ]; then
        if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then  # TERM, or KILL 5 s later
            echo "!! $rows (amp $amp) ran past ${limit}s and was stopped"
        else
            echo "!! $rows (amp $amp) exited $status"
        fi
        failed=1
        return
    fi
    "$PYTHON" - "$output" <<'PY'
import json, sys
for row in json.load(open(sys.argv[1]))["rows"]:
    memory = row["settings"].get("peak_gpu_memory_mib")
    if memory is not None:
        print(f"   {row['figure']}: peak GPU memory {memory:.0f} MiB")
PY
}

# Training loops (samples/s, FLOP rate vs matmul) and time to the Stage 1-2 gates, amp on.
step 100 on loop_overhead
step 100 on time_to_threshold
# Streaming delivery vs this GPU's training consumption (quick sizes: RSS does not need a GPU).
step 45 on data_path --quick
# The loops again in fp32.
step 50 off loop_overhead
exit "$failed"
