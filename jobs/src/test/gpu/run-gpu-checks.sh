#!/usr/bin/env bash
# GPU checks of the TensorRT backend (issue 3), run on a machine with an NVIDIA GPU, TensorRT 10.6 and CUDA 12 libraries
# on LD_LIBRARY_PATH and a Java 17 runtime (on the lent GPU machine: ../shared/gpu/README.md's kit, then
# `. /tmp/gpurt/env.sh`). It needs no Maven: pass the compiled classes and the runtime jars.
#
#   GPURUN=/tmp/gpurun jobs/src/test/gpu/run-gpu-checks.sh            # all steps
#   STEPS=checks,bench-fp16 jobs/src/test/gpu/run-gpu-checks.sh        # some steps
#
# Layout of $GPURUN (made on the build machine, see the comment at the end):
#   classes/ (operators main), test-classes/ (operators test), classes/flinkvision/golden (golden images), jobs-classes/, lib/*.jar, frames/*.jpg
# Steps (comma-separated in STEPS):
#   checks      build FP32 (TF32 off) and FP16 engines; GPU letterbox kernel vs OpenCV letterbox (bytes); golden comparison of
#               both precisions with the CPU and the GPU letterbox; 20 open/close cycles (memory)
#               (the checks step also runs SharedCacheGpuCheck and CorruptJpegGpuCheck: corrupt-jpeg.json)
#   bench-fp16  benchmark --backend tensorrt --precision fp16 --batch 32 (JSON in $OUTDIR/bench-fp16.json);
#               letterbox LETTERBOX=auto|cpu|gpu|hybrid (default auto: gpu on TensorRT), with the other letterbox's
#               operator run beside it
#   bench-fp32  same in FP32
#   int8        INT8 engine calibrated on frames/, golden comparison, benchmark (bench-int8.json)
#   profile     benchmark in FP16 with a Java Flight Recording ($OUTDIR/bench-profile.jfr, bench-profile.json)
#   host-scaling  FP16 benchmark at 4, 8 and 16 pre-processing threads, OpenCV threads default and 1 (host-*.json)
#   sweep       FP16 benchmark per in-flight count in SWEEP_IN_FLIGHT (default "3 4 6 8") and letterbox in
#               SWEEP_LETTERBOX (default "cpu gpu"), each with CUDA graphs on and, in the same run, off
#               (SWEEP_ARGS, default --compare-cuda-graphs); operatorTimeline says how busy the GPU was
#               (sweep-<letterbox>-k<K>.json)
#   multi-gpu   (2+ GPUs) one JVM as a TaskManager whose 'gpu' resource holds every GPU, 2 subtasks per GPU:
#               the subtasks spread evenly (GpuAssignment), each engine on its GPU, golden FP16 on every GPU,
#               throughput of all GPUs at once against GPU 0 alone (MultiGpuCheck)
#   summary     one table of every JSON in $OUTDIR
# FLINK_LIB (default $GPURUN/flink-lib): Flink's core jars (flink-core, flink-core-api, flink-annotations,
#   flink-metrics-core, flink-shaded-guava, commons-lang3), which the shared engine cache check needs when lib/ holds
#   only the operator's runtime dependencies (Flink is `provided` there: a cluster brings its own).
# BENCH_ARGS: extra benchmark arguments for every benchmark run (e.g. "--hybrid-backlog 128").
# PRECISIONS (default fp32,fp16) and CYCLE_PRECISION (default fp16) choose the engines of the checks step.
# Engines, timing and calibration caches go to $CACHE (default /tmp/flinkvision-engines): later runs reuse them.
set -uo pipefail
R=${GPURUN:-/tmp/gpurun}
CACHE=${CACHE:-/tmp/flinkvision-engines}
OUTDIR=${OUTDIR:-${OUT:-./gpu-out}}
STEPS=${STEPS:-checks,bench-fp16,bench-fp32,int8,summary}
BATCH=${BATCH:-32}
IN_FLIGHT=${IN_FLIGHT:-3}
FRAMES=${FRAMES:-6000}
JAVA_OPTS=${JAVA_OPTS:-"-Xmx16g -XX:+UseParallelGC"}
CP="$R/classes:$R/test-classes:$R/jobs-classes:$R/lib/*:${FLINK_LIB:-$R/flink-lib}/*"
LOG4J="-Dlog4j2.configurationFile=$R/jobs-classes/log4j2.xml"
mkdir -p "$OUTDIR" "$CACHE"
has() { [[ ",$STEPS," == *",$1,"* ]]; }
run() { echo "+ $*"; "$@"; }
rc=0

echo "== device"
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version,clocks.max.sm --format=csv || true
java -version 2>&1 | head -1

if has checks; then
  echo "== golden FP32 (TF32 off) and FP16, $BATCH-batch engines; 20 open/close cycles"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.engine.tensorrt.TrtGpuChecks --cache "$CACHE" --out "$OUTDIR" \
    --precisions "${PRECISIONS:-fp32,fp16}" --cycles 20 --cycle-precision "${CYCLE_PRECISION:-fp16}" --batch "$BATCH" 2>&1 | tee "$OUTDIR/checks.log" | grep -vE "^\s+at " \
    | grep -E "TensorRT build|engine cache|golden|letterbox|device:|^\||Exception|ERROR|WARN|FAIL" ; rc=$((rc | ${PIPESTATUS[0]}))
  echo "== shared engine cache: an empty local cache, the plans above as the cluster's shared directory"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.engine.tensorrt.SharedCacheGpuCheck --cache "$CACHE" --batch "$BATCH" \
    2>&1 | tee "$OUTDIR/shared-cache.log" | grep -vE "^\s+at " | grep -E "^\||engine cache|Exception|FAIL" ; rc=$((rc | ${PIPESTATUS[0]}))
  echo "== damaged JPEG files (headers intact) through nvJPEG and OpenCV, each batched with 7 clean frames"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.engine.tensorrt.CorruptJpegGpuCheck --cache "$CACHE" --out "$OUTDIR" \
    --batch "$BATCH" 2>&1 | tee "$OUTDIR/corrupt-jpeg.log" | grep -vE "^\s+at " | grep -E "^\||path:|Exception|FAIL|skipped" ; rc=$((rc | ${PIPESTATUS[0]}))
fi
bench() { # precision, extra args...
  local p=$1; shift
  echo "== benchmark $p"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.jobs.benchmark.BenchmarkCommand --backend tensorrt \
    --precision "$p" --batch "$BATCH" --in-flight "$IN_FLIGHT" --frames "$FRAMES" --images "$R/frames" \
    --engine-cache-dir "$CACHE" --letterbox "${LETTERBOX:-auto}" --report "$OUTDIR/bench-$p.json" ${BENCH_ARGS:-} "$@" 2>&1 | tee "$OUTDIR/bench-$p.log" \
    | grep -vE "^\s+at " | grep -E "benchmark:|TensorRT build|engine cache|^\||Exception|ERROR" ; rc=$((rc | ${PIPESTATUS[0]}))
}
has bench-fp16 && bench fp16
if has profile; then
  JAVA_OPTS="$JAVA_OPTS -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:StartFlightRecording=filename=$OUTDIR/bench-profile.jfr,settings=profile,dumponexit=true" \
    bench fp16 --skip-jpeg --latency-seconds 2
  mv "$OUTDIR/bench-fp16.json" "$OUTDIR/bench-profile.json"
fi
if has host-scaling; then
  for t in 4 8 16; do
    for cv in -1 1; do
      bench fp16 --skip-jpeg --latency-seconds 1 --preprocess-threads $t --opencv-threads $cv
      mv "$OUTDIR/bench-fp16.json" "$OUTDIR/host-t$t-cv$cv.json"
    done
  done
fi
if has sweep; then
  for lb in ${SWEEP_LETTERBOX:-cpu gpu}; do
    for k in ${SWEEP_IN_FLIGHT:-3 4 6 8}; do
      LETTERBOX=$lb IN_FLIGHT=$k bench fp16 ${SWEEP_ARGS---compare-cuda-graphs} --skip-other-letterbox --skip-jpeg \
        --skip-host-ceiling --latency-seconds 2
      mv "$OUTDIR/bench-fp16.json" "$OUTDIR/sweep-$lb-k$k.json"
    done
  done
fi
has bench-fp32 && bench fp32
if has int8; then
  echo "== INT8 (entropy calibration on $R/frames)"; mkdir -p "$OUTDIR/int8"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.engine.tensorrt.TrtGpuChecks --cache "$CACHE" \
    --out "$OUTDIR/int8" --precisions int8 --cycles 0 --batch "$BATCH" --calibration "$R/frames" 2>&1 \
    | tee "$OUTDIR/int8.log" | grep -vE "^\s+at " | grep -E "TensorRT build|INT8|golden|^\||Exception|ERROR" || true
  bench int8 --calibration-dir "$R/frames" --skip-jpeg
fi
if has multi-gpu; then
  echo "== several GPUs in one TaskManager JVM"
  run java $JAVA_OPTS $LOG4J -cp "$CP" io.flinkvision.engine.tensorrt.MultiGpuCheck --cache "$CACHE" --frames "$R/frames" \
    2>&1 | tee "$OUTDIR/multi-gpu.log" | grep -vE "^\s+at " | grep -E "^\||Exception|skipped" ; rc=$((rc | ${PIPESTATUS[0]}))
fi
if has summary; then
  echo "== summary"
  python3 - "$OUTDIR" <<'PY' || true
import json, os, sys
d = sys.argv[1]
rows = []
import glob
for f in [os.path.join(d, f"bench-{p}.json") for p in ("fp32", "fp16", "int8", "profile")] + sorted(glob.glob(os.path.join(d, "host-*.json"))) + sorted(glob.glob(os.path.join(d, "sweep-*.json"))):
    if os.path.exists(f):
        r = json.load(open(f)); r["file"] = os.path.basename(f); rows.append(r)
if rows:
    for r in rows:
        o = r.get("otherCudaGraphs") or {}
        if o:
            r["graphsOff" if not o.get("cudaGraphs") else "graphsOn"] = {k: o.get(k) for k in ("engineOnlyFps", "operatorFps", "operatorVsEngine", "operatorTimeline")}
    keys = ["file", "precision", "outputLayout", "letterbox", "inFlight", "cudaGraphs", "preprocessThreads", "opencvThreads", "engineOnlyFps", "engineWithCopiesFps",
            "serializedFps", "h2dGBps", "operatorFps", "operatorCpuLetterboxFps", "operatorGpuLetterboxFps",
            "gpuVsCpuLetterbox", "operatorHybridLetterboxFps", "hybridVsCpuLetterbox", "operatorDeviceLetterboxedFraction", "hybridBacklog", "serializedWithGraphsFps", "hostCeilingFps",
            "operatorVsEngine", "operatorVsSerialized",
            "operatorJpegFps", "p50Ms", "p99Ms", "operatorMeanBatch", "operatorStageMs", "operatorDispatch", "operatorTimeline",
            "graphsOff", "graphsOn"]
    print("device:", rows[0].get("device"))
    print("| " + " | ".join(keys) + " |")
    print("|" + " --- |" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
PY
fi
exit $rc
# Making $GPURUN on the build machine (from the repository root):
#   mvn -o -q -DskipTests install -pl operators && mvn -o -q -DskipTests test-compile -pl operators,jobs
#   mkdir -p /tmp/gpurun/lib && cp -r operators/target/classes /tmp/gpurun/classes
#   cp -r operators/target/test-classes /tmp/gpurun/test-classes && cp -r jobs/target/classes /tmp/gpurun/jobs-classes
#   copy the runtime jars (javacpp, tensorrt, cuda, opencv, openblas with their linux-x86_64 jars, jackson, picocli,
#   slf4j, log4j) into /tmp/gpurun/lib, and JPEG frames (e.g. every 12th frame of data/vtest.avi) into frames/.
