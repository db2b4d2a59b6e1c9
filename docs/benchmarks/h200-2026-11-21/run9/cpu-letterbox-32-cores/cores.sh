#!/bin/bash
# Session 9: the CPU letterbox on a host with 32 cores (nvidia-h200-x2, GPU 0 only), GPU letterbox beside it.
. /tmp/gpurt/env.sh
export GPURUN=/tmp/gpurun CACHE=/tmp/flinkvision-engines IN_FLIGHT=8 FRAMES=${FRAMES:-60000} CUDA_VISIBLE_DEVICES=0
nproc; nvidia-smi --query-gpu=name --format=csv,noheader
for t in "$@"; do
  mkdir -p $OUT/cpu-t$t
  LETTERBOX=cpu BENCH_ARGS="--preprocess-threads $t --skip-jpeg" OUTDIR=$OUT/cpu-t$t STEPS=bench-fp16 bash jobs/src/test/gpu/run-gpu-checks.sh > $OUT/cpu-t$t/out.txt 2>&1
  echo "threads $t rc=$?"; rm -f $OUT/cpu-t$t/*.log
  python3 - $OUT/cpu-t$t/bench-fp16.json <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
print({k:d.get(k) for k in ("preprocessThreads","engineOnlyFps","engineWithCopiesFps","engineWithDeviceLetterboxFps","serializedFps","operatorFps","operatorVsEngine","operatorVsDeviceSide","operatorVsSerialized","operatorGpuLetterboxFps","hostCeilingFps","p50Ms","p99Ms")})
print("dispatch", d.get("operatorDispatch"))
PY
done
