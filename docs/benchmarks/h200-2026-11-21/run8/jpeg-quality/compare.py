# Detections of re-encoded frames (q90/q85/q75) against the q95 originals, ONNX Runtime FP32 on the CPU.
# Inputs: det-qNN.jsonl from `java -jar jobs/target/video-inference.jar detect DIR/*.jpg > det-qNN.jsonl`.
import json, os
def load(q):
    r = {}
    for l in open(f'det-q{q}.jsonl'):
        if l.startswith('{'):
            d = json.loads(l); r[os.path.basename(d['image'])] = d['detections']
    return r
def iou(a, b):
    ix = max(0, min(a['x2'], b['x2']) - max(a['x1'], b['x1'])); iy = max(0, min(a['y2'], b['y2']) - max(a['y1'], b['y1']))
    i = ix * iy; u = (a['x2'] - a['x1']) * (a['y2'] - a['y1']) + (b['x2'] - b['x1']) * (b['y2'] - b['y1']) - i
    return i / u if u > 0 else 0
ref = load(95)
for q in (90, 85, 75):
    o = load(q); tot = m9 = m5 = extra = 0; ious = []
    for k, R in ref.items():
        O = o[k]; used = [False] * len(O)
        for g in R:
            tot += 1; best = -1; bi = 0
            for i, d in enumerate(O):
                if not used[i] and d['classId'] == g['classId']:
                    v = iou(d['box'], g['box'])
                    if v > bi: bi = v; best = i
            if best >= 0 and bi >= 0.5:
                used[best] = True; m5 += 1; ious.append(bi); m9 += bi >= 0.9
        extra += used.count(False)
    print(f"q{q}: reference (q95) detections {tot}, matched IoU>=0.5 {m5} ({100*m5/tot:.1f}%), IoU>=0.9 {m9} ({100*m9/tot:.1f}%), mean IoU {sum(ious)/len(ious):.3f}, unmatched extra {extra}")
