#!/usr/bin/env bash
# The device check (tests/gpu/README.md): runs the published arrakis and Arrakis.GpuCheck against the machine's
# installed PyTorch and prints every result. From the repository root:
#   tests/gpu/run.sh                      on the lent GPU (CUDA; the Python environment's torch is found by arrakis)
#   DEVICE=cpu ARRAKIS_LIBTORCH=DIR PYTHON=/usr/bin/python3 SIZES=2x64 ROUNDS=1 tests/gpu/run.sh     the CPU dry run
# Settings (environment): DEVICE (cuda), PYTHON (python3: the PyTorch peer), SIZES (4x256,8x1024: Arrakis and PyTorch
# interleaved), ALONE_SIZES (32x1024: each side in a process of its own, since two CUDA caching allocators that keep
# a full-model RunWithCache reserve each may not fit one card together),
# DTYPES (float32 bfloat16), SLOW (1; time-limit multiplier), PEER (the PyTorch model, tests/Arrakis.Benchmarks/Python/tl_style_gpt2.py), ROUNDS (3 timed rounds after one warm-up), APP (artifacts/gpu/app; unpacked from
# artifacts/gpu/carry/arrakis-gpu.tar.xz when absent). Writes its log to $OUT/gpu-check.log when OUT is set.
# Exit status: the number of failed steps (0: all passed).
set -u
cd "$(dirname "$0")/../.."
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
SIZES=${SIZES-4x256,8x1024}
ALONE_SIZES=${ALONE_SIZES-32x1024}
DTYPES=${DTYPES-float32 bfloat16}
ROUNDS=${ROUNDS:-3}
SLOW=${SLOW:-1}   # multiplies every step's time limit (the CPU dry run on a small shared machine needs ~10)
APP=${APP:-artifacts/gpu/app}
PACK=${PACK:-artifacts/gpu/carry/arrakis-gpu.tar.xz}
PEER=${PEER:-tests/Arrakis.Benchmarks/Python/tl_style_gpt2.py}
WORK=$(mktemp -d)
export ARRAKIS_SCRIPT_CACHE="$WORK/script-cache" ARRAKIS_NATIVE_CACHE="$WORK/native-cache"
LOG=${OUT:+$OUT/gpu-check.log}
[ -n "$LOG" ] && exec > >(tee "$LOG") 2>&1
failed=0
step() {  # step NAME TIMEOUT COMMAND...
  local name=$1 limit=$2; shift 2
  local start=$(date +%s%N)
  echo "=== $name"
  timeout "$((limit * SLOW))" "$@"
  local rc=$?
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '=== %s: %s (%d.%01d s)\n\n' "$name" "$([ $rc -eq 0 ] && echo PASS || echo "FAIL, exit $rc")" $((ms / 1000)) $((ms % 1000 / 100))
  [ $rc -eq 0 ] || failed=$((failed + 1))
  return $rc
}

echo "device check $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname); DEVICE=$DEVICE SIZES=$SIZES ALONE_SIZES=$ALONE_SIZES DTYPES=$DTYPES ROUNDS=$ROUNDS"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if [ ! -x "$APP/arrakis" ]; then
  mkdir -p "$(dirname "$APP")"
  tar -C "$(dirname "$APP")" -xJf "$PACK" 2>/dev/null \
    || "$PYTHON" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$PACK" "$(dirname "$APP")" \
    || { echo "cannot unpack $PACK"; exit 100; }
fi
"$PYTHON" -c "import torch; print('PyTorch', torch.__version__, 'at', torch.__file__, '| CUDA', torch.version.cuda, '| available', torch.cuda.is_available())" 2>&1 | tail -1

# 1. Which libtorch arrakis picks by itself (no LD_LIBRARY_PATH): --device asks for CUDA, the publish has no libtorch.
if ! step "arrakis info --device $DEVICE (libtorch found by arrakis itself)" 60 "$APP/arrakis" info --device "$DEVICE"; then
  # Fall back to naming it, so the rest of the check still runs; the failure above stays counted.
  lib=$("$PYTHON" -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
  export ARRAKIS_LIBTORCH=$lib
  export LD_LIBRARY_PATH="$lib:$(ls -d "$lib"/../../nvidia/*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
  step "arrakis info with ARRAKIS_LIBTORCH=$lib and LD_LIBRARY_PATH" 60 "$APP/arrakis" info --device "$DEVICE"
fi

# 2. Zoo models: CPU vs the device, hooks and caches on the device.
step "zoo models CPU vs $DEVICE, hooks, caches" 90 "$APP/Arrakis.GpuCheck" zoo --device "$DEVICE"

# 3. GPT-2 small: Arrakis vs the TransformerLens-style PyTorch model, per dtype.
compare=("$APP/Arrakis.GpuCheck" compare --device "$DEVICE" --rounds "$ROUNDS" --peer "$PEER" --python "$PYTHON" --folder "$WORK/gpt2-small")
for dtype in $DTYPES; do
  step "GPT-2 small vs PyTorch, $dtype, $SIZES interleaved" 150 "${compare[@]}" --dtype "$dtype" --sizes "$SIZES"
  for side in pytorch arrakis; do
    [ -n "$ALONE_SIZES" ] && step "GPT-2 small, $dtype, $ALONE_SIZES, $side alone" 120 "${compare[@]}" --dtype "$dtype" --sizes "$ALONE_SIZES" --side "$side"
  done
done

# 4. Every example script with --device.
for script in scripts/*.csx; do
  model=()
  case $(basename "$script") in ioi.csx) model=(--model gpt2-mini-language) ;; esac
  step "arrakis run $script ${model[*]} --device $DEVICE" 60 "$APP/arrakis" run "$script" "${model[@]}" --device "$DEVICE" --out "$WORK/experiments"
done
step "arrakis run scripts/induction.csx --device $DEVICE --dtype bfloat16" 60 "$APP/arrakis" run scripts/induction.csx --device "$DEVICE" --dtype bfloat16 --out "$WORK/experiments"

echo "device check finished: $failed failed step(s)"
rm -rf "$WORK"
exit $failed
