#!/usr/bin/env python3
"""One line per benchmark JSON: the throughput figures and where batches waited. Usage: brief.py FILE.json..."""
import json
import sys

KEYS = ["letterbox", "inFlight", "engineOnlyFps", "engineWithCopiesFps",
        "engineWithDeviceLetterboxFps", "serializedFps", "serializedWithGraphsFps", "operatorFps", "operatorVsEngine",
        "operatorVsSerialized", "p50Ms", "p99Ms", "jpegDecode", "engineWithDeviceJpegFps", "operatorJpegFps",
        "operatorJpegCpuDecodeFps", "gpuVsCpuJpegDecode", "jpegCpuFallbacks", "operatorJpegDeadLetters"]
NESTED = ["operatorStageMs", "operatorDispatch", "operatorTimeline", "operatorJpegStageMs", "operatorJpegDispatch",
          "operatorJpegTimeline"]

for path in sys.argv[1:]:
    r = json.load(open(path))
    print(path.split("/")[-1] + ": " + ", ".join(f"{k}={r[k]}" for k in KEYS if k in r))
    for n in NESTED:
        if n in r:
            print(f"    {n}: " + ", ".join(f"{k}={v}" for k, v in r[n].items()))
    if "otherCudaGraphs" in r:
        o = r["otherCudaGraphs"]
        print("    otherCudaGraphs: " + ", ".join(f"{k}={o[k]}" for k in ("cudaGraphs", "engineOnlyFps", "operatorFps",
                                                                         "operatorVsEngine") if k in o))
