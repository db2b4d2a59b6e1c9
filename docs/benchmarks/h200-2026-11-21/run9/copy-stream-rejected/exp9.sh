#!/bin/bash
# Session 9: input copies on a second stream per slot (-Dflinkvision.tensorrt.copy-stream=true) vs one stream.
# A B A B order, one benchmark process each, FP16 batch 32, 8 slots, GPU letterbox (auto).
. /tmp/gpurt/env.sh
export GPURUN=/tmp/gpurun CACHE=/tmp/flinkvision-engines IN_FLIGHT=8 FRAMES=${FRAMES:-24000}
export BENCH_ARGS="--skip-other-letterbox --skip-host-ceiling --skip-jpeg --latency-seconds 1"
run_variant() { # name, -D options
  local name=$1; shift
  mkdir -p $OUT/$name
  JAVA_OPTS="-Xmx16g -XX:+UseParallelGC $*" OUTDIR=$OUT/$name STEPS=bench-fp16 bash jobs/src/test/gpu/run-gpu-checks.sh > $OUT/$name/out.txt 2>&1
  echo "$name rc=$?"; rm -f $OUT/$name/*.log
  python3 - $OUT/$name/bench-fp16.json $name <<'PY'
import json,sys
d=json.load(open(sys.argv[1])); n=sys.argv[2]
print(n, {k:d.get(k) for k in ("engineOnlyFps","engineWithCopiesFps","engineWithDeviceLetterboxFps","serializedFps","operatorFps","operatorVsEngine","operatorVsDeviceSide","operatorVsSerialized","p50Ms","p99Ms")})
print(n, "stage", json.dumps(d.get("operatorStageMs"))[:400])
PY
}
for v in "$@"; do
  case $v in
    base*) run_variant $v ;;
    copy*) run_variant $v -Dflinkvision.tensorrt.copy-stream=true ;;
    copyconn*) run_variant $v -Dflinkvision.tensorrt.copy-stream=true ;;
  esac
done
if [[ " $* " == *" golden-copy "* ]]; then
  R=/tmp/gpurun; mkdir -p $OUT/golden-copy
  java -Xmx16g -Dflinkvision.tensorrt.copy-stream=true -Dlog4j2.configurationFile=$R/jobs-classes/log4j2.xml -cp "$R/classes:$R/test-classes:$R/jobs-classes:$R/lib/*:$R/flink-lib/*" \
    io.flinkvision.engine.tensorrt.TrtGpuChecks --cache /tmp/flinkvision-engines --out $OUT/golden-copy --precisions fp16 --cycles 2 --cycle-precision fp16 --batch 32 > $OUT/golden-copy/out.txt 2>&1
  echo "golden-copy rc=$?"; grep -vE "^\s+at " $OUT/golden-copy/out.txt | grep -E "^\||Exception|FAIL" | grep -v "^| ---" | cut -c1-250
fi
