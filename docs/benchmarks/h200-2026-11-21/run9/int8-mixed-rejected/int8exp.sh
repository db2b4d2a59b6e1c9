#!/bin/bash
# Session 9: INT8 with chosen convolutions kept in FP16 (-Dflinkvision.tensorrt.int8-fp16-layers=...), one variant per arg.
. /tmp/gpurt/env.sh
R=/tmp/gpurun; CACHE=/tmp/flinkvision-engines
CP="$R/classes:$R/test-classes:$R/jobs-classes:$R/lib/*:$R/flink-lib/*"
for v in "$@"; do
  name=${v//[:,]/_}; mkdir -p $OUT/$name; rm -f $CACHE/*-int8-*.plan*
  D="-Dflinkvision.tensorrt.int8-fp16-layers=$v"; [ "$v" = none ] && D=""
  java -Xmx16g $D -Dlog4j2.configurationFile=$R/jobs-classes/log4j2.xml -cp "$CP" io.flinkvision.engine.tensorrt.TrtGpuChecks --cache $CACHE \
    --out $OUT/$name --precisions int8 --cycles 0 --batch 32 --calibration $R/frames > $OUT/$name/checks.txt 2>&1
  echo "$v checks rc=$?"; grep -E "INT8 experiment|build done" $OUT/$name/checks.txt | cut -c1-200; grep -E "^\| golden" $OUT/$name/checks.txt | cut -c1-260
  java -Xmx16g -XX:+UseParallelGC $D -Dlog4j2.configurationFile=$R/jobs-classes/log4j2.xml -cp "$CP" io.flinkvision.jobs.benchmark.BenchmarkCommand --backend tensorrt \
    --precision int8 --batch 32 --in-flight 8 --frames 12000 --images $R/frames --engine-cache-dir $CACHE --calibration-dir $R/frames \
    --report $OUT/$name/bench-int8.json --skip-jpeg --skip-other-letterbox --skip-host-ceiling --latency-seconds 1 > $OUT/$name/bench.txt 2>&1
  echo "$v bench rc=$?"; python3 jobs/src/test/gpu/brief.py $OUT/$name/bench-int8.json | head -1 | cut -c1-400
  grep -vE "phase tactics|heartbeat|^\s+at " $OUT/$name/checks.txt > $OUT/$name/checks-short.txt; rm -f $OUT/$name/checks.txt $OUT/$name/bench.txt
done
