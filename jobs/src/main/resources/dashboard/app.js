// FlinkVision live detections dashboard: receives state snapshots as Server-Sent Events (api/events) and draws,
// the job's health (state, restarts, input lag, committed records/s, a banner during an outage) and, per camera, the
// latest frame with its boxes, the counters and a chart of objects per label over time.
// No external libraries (the page must work without internet access).
'use strict';

(function () {
  // Box colours by class id (the palette YOLO tools commonly use; person = red).
  const PALETTE = [
    [255, 56, 56], [255, 157, 151], [255, 112, 31], [255, 178, 29], [207, 210, 49],
    [72, 249, 10], [146, 204, 23], [61, 219, 134], [26, 147, 52], [0, 212, 187],
    [44, 153, 168], [0, 194, 255], [52, 69, 147], [100, 115, 255], [0, 24, 236],
    [132, 56, 255], [82, 0, 133], [203, 56, 255], [255, 149, 200], [255, 55, 199]];

  const cards = new Map();      // cameraId -> card object
  const lastDrawn = {};         // cameraId -> {frameIndex, lineWidth, boxes: [{classId, x1, y1, x2, y2}], image}
  let updates = 0;

  function colorFor(classId) {
    const n = PALETTE.length;
    const i = ((Number(classId) % n) + n) % n;
    return PALETTE[Number.isFinite(i) ? i : 0].slice();
  }

  function rgb(c) {
    return 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')';
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(v, digits, unit) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    return v.toFixed(digits) + (unit || '');
  }

  function age(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1500) return 'now';
    if (ms < 120000) return Math.round(ms / 1000) + ' s ago';
    return Math.round(ms / 60000) + ' min ago';
  }

  function stat(dl, key, title) {
    const d = el('div');
    d.appendChild(el('dt', null, title));
    const dd = el('dd', null, '–');
    dd.dataset.stat = key;
    d.appendChild(dd);
    dl.appendChild(d);
    return dd;
  }

  function card(cameraId) {
    let c = cards.get(cameraId);
    if (c) return c;
    const root = el('section', 'camera');
    root.dataset.camera = cameraId;
    root.dataset.frameIndex = '-1';
    root.dataset.boxesDrawn = '0';
    root.dataset.imageDrawn = 'false';
    root.dataset.framesTotal = '0';
    root.dataset.detectionsTotal = '0';
    root.dataset.chartPoints = '0';
    const header = el('header');
    header.appendChild(el('h2', null, cameraId));
    const meta = el('span', 'meta', '');
    header.appendChild(meta);
    root.appendChild(header);
    const frame = el('canvas', 'frame');
    frame.width = 640;
    frame.height = 360;
    root.appendChild(frame);
    const dl = el('dl', 'stats');
    const s = {
      fps: stat(dl, 'fps', 'frames/s'),
      e2eP50: stat(dl, 'e2eP50', 'end-to-end p50'),
      e2eP99: stat(dl, 'e2eP99', 'end-to-end p99'),
      opP50: stat(dl, 'opP50', 'operator p50 / p99'),
      frames: stat(dl, 'framesTotal', 'records'),
      detections: stat(dl, 'detectionsTotal', 'detections'),
      errors: stat(dl, 'errorsTotal', 'error records'),
      last: stat(dl, 'lastRecord', 'last record'),
    };
    root.appendChild(dl);
    root.appendChild(el('div', 'chart-title', 'objects per frame by label (per second of capture time)'));
    const chart = el('canvas', 'chart');
    root.appendChild(chart);
    const legend = el('div', 'legend');
    root.appendChild(legend);
    document.getElementById('cameras').appendChild(root);
    c = { root, meta, frame, chart, legend, s, wanted: null, shownKey: null };
    cards.set(cameraId, c);
    return c;
  }

  // ---- frame with boxes ----

  function frameKey(f) {
    return f ? f.frameIndex + '|' + (f.imageUrl || '') + '|' + f.boxes.length : null;
  }

  function showFrame(cameraId, c, f) {
    const key = frameKey(f);
    if (!f || key === c.shownKey || key === c.wanted) return;
    c.wanted = key;
    if (!f.imageUrl) {
      draw(cameraId, c, f, null);
      return;
    }
    const img = new Image();
    img.onload = function () {
      if (c.wanted === key) draw(cameraId, c, f, img);
    };
    img.onerror = function () {
      if (c.wanted === key) draw(cameraId, c, f, null);
    };
    img.src = f.imageUrl;
  }

  function draw(cameraId, c, f, img) {
    const canvas = c.frame;
    const w = img ? img.naturalWidth : (f.imageWidth > 0 ? f.imageWidth : 640);
    const h = img ? img.naturalHeight : (f.imageHeight > 0 ? f.imageHeight : 360);
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, w, h);
    if (img) {
      ctx.drawImage(img, 0, 0, w, h);
    } else {
      ctx.fillStyle = '#9aa1ab';
      ctx.font = Math.max(12, Math.round(h / 30)) + 'px sans-serif';
      ctx.fillText('frame image not available (frames topic)', 10, Math.max(20, Math.round(h / 20)));
    }
    // Boxes are in source-image pixels; scale if the image was delivered at another size.
    const sx = f.imageWidth > 0 ? w / f.imageWidth : 1;
    const sy = f.imageHeight > 0 ? h / f.imageHeight : 1;
    // Even line width on integer coordinates: the pixels under the stroke get exactly the box colour.
    const lineWidth = 2 * Math.max(1, Math.round(Math.min(w, h) / 300));
    const fontPx = Math.max(12, Math.round(h / 40));
    const drawn = [];
    ctx.lineWidth = lineWidth;
    for (const b of f.boxes) {
      const x1 = Math.round(b.x1 * sx), y1 = Math.round(b.y1 * sy);
      const x2 = Math.round(b.x2 * sx), y2 = Math.round(b.y2 * sy);
      ctx.strokeStyle = rgb(colorFor(b.classId));
      ctx.strokeRect(x1, y1, Math.max(1, x2 - x1), Math.max(1, y2 - y1));
      drawn.push({ classId: b.classId, label: b.label, x1, y1, x2, y2 });
    }
    ctx.font = fontPx + 'px sans-serif';
    ctx.textBaseline = 'top';
    const labels = [];
    for (let i = 0; i < f.boxes.length; i++) {
      const b = f.boxes[i], d = drawn[i];
      const text = b.label + ' ' + Math.round(b.score * 100) + '%';
      const tw = Math.ceil(ctx.measureText(text).width) + 6;
      const th = fontPx + 4;
      const ty = d.y1 - lineWidth / 2 - th >= 0 ? d.y1 - lineWidth / 2 - th : d.y1 + lineWidth / 2;
      const tx = Math.min(Math.max(0, d.x1 - lineWidth / 2), Math.max(0, w - tw));
      ctx.fillStyle = rgb(colorFor(b.classId));
      ctx.fillRect(tx, ty, tw, th);
      ctx.fillStyle = '#000';
      ctx.fillText(text, tx + 3, ty + 2);
      labels.push({ x: tx, y: ty, w: tw, h: th });
    }
    lastDrawn[cameraId] = { frameIndex: f.frameIndex, lineWidth, boxes: drawn, labels, image: !!img, width: w,
      height: h };
    c.shownKey = frameKey(f);
    c.root.dataset.frameIndex = String(f.frameIndex);
    c.root.dataset.boxesDrawn = String(drawn.length);
    c.root.dataset.imageDrawn = String(!!img);
  }

  // ---- chart of objects per frame by label ----

  function drawChart(c, series) {
    const canvas = c.chart;
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.max(200, Math.round(canvas.clientWidth * dpr));
    const ch = Math.max(100, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== cw) canvas.width = cw;
    if (canvas.height !== ch) canvas.height = ch;
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, cw, ch);
    const pad = { l: 36 * dpr, r: 8 * dpr, t: 8 * dpr, b: 18 * dpr };
    const labels = (series && series.labels) || [];
    const n = series && series.frames ? series.frames.length : 0;
    let max = 0;
    for (const l of labels) for (const v of l.values) if (v !== null && v > max) max = v;
    max = max <= 0 ? 1 : Math.ceil(max * 1.1 * 2) / 2;
    const slots = 120;  // 120 one-second buckets, the newest at the right edge
    const x = (i) => pad.l + (cw - pad.l - pad.r) * ((slots - n + i) / Math.max(1, slots - 1));
    const y = (v) => ch - pad.b - (ch - pad.t - pad.b) * (v / max);
    ctx.strokeStyle = '#3a3f47';
    ctx.fillStyle = '#9aa1ab';
    ctx.lineWidth = 1;
    ctx.font = Math.round(10 * dpr) + 'px sans-serif';
    ctx.textBaseline = 'middle';
    for (let k = 0; k <= 2; k++) {
      const v = (max * k) / 2;
      ctx.beginPath();
      ctx.moveTo(pad.l, y(v));
      ctx.lineTo(cw - pad.r, y(v));
      ctx.stroke();
      ctx.fillText(v.toFixed(1), 4 * dpr, y(v));
    }
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('−120 s', pad.l, ch - 4 * dpr);
    ctx.fillText('latest', cw - pad.r - 34 * dpr, ch - 4 * dpr);
    let points = 0;
    ctx.lineWidth = 2 * dpr;
    for (const l of labels) {
      ctx.strokeStyle = rgb(colorFor(l.classId));
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < l.values.length; i++) {
        const v = l.values[i];
        if (v === null) { pen = false; continue; }
        if (pen) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v));
        pen = true;
        points++;
      }
      if (l.values.filter((v) => v !== null).length === 1) {
        const i = l.values.findIndex((v) => v !== null);
        ctx.fillStyle = rgb(colorFor(l.classId));
        ctx.fillRect(x(i) - 2 * dpr, y(l.values[i]) - 2 * dpr, 4 * dpr, 4 * dpr);
      }
      ctx.stroke();
    }
    c.root.dataset.chartPoints = String(points);
    c.legend.replaceChildren();
    for (const l of labels) {
      const item = el('span');
      const sw = el('span', 'swatch');
      sw.style.background = rgb(colorFor(l.classId));
      item.appendChild(sw);
      let latest = null;
      for (let i = l.values.length - 1; i >= 0; i--) if (l.values[i] !== null) { latest = l.values[i]; break; }
      item.appendChild(document.createTextNode(l.label + ' ' + fmt(latest, 1)));
      c.legend.appendChild(item);
    }
  }

  // ---- job health ----

  function count(v) {
    return v === null || v === undefined ? '–' : String(v);
  }

  // The job's state, restarts, input lag and committed records/s, and the banner; returns true during an outage.
  function applyJob(job) {
    const watched = job.jobState !== null || job.jobError !== null;
    const state = job.jobState !== null ? job.jobState : (watched ? 'unknown' : 'not watched');
    document.body.dataset.health = job.verdict;
    document.body.dataset.jobState = state;
    const pill = document.getElementById('job-state');
    pill.textContent = state;
    pill.className = 'pill ' + (job.jobState === 'RUNNING' ? 'ok' : (job.jobState !== null ? 'outage'
      : (watched ? 'unknown' : '')));
    document.getElementById('job-restarts').textContent = count(job.restarts);
    let lag = count(job.inputLagRecords);
    if (job.inputLagGrowthRecords !== null && job.inputLagGrowthRecords !== 0) {
      lag += ' (' + (job.inputLagGrowthRecords > 0 ? '+' : '') + job.inputLagGrowthRecords + ' in '
        + Math.round(job.stallWindowMs / 1000) + ' s)';
    }
    document.getElementById('job-lag').textContent = lag;
    document.getElementById('job-rate').textContent = fmt(job.committedRecordsPerSecond, 1);
    const detail = [];
    if (job.jobName) detail.push('job "' + job.jobName + '" ' + (job.jobId || ''));
    if (job.consumerGroup) detail.push('consumer group "' + job.consumerGroup + '"');
    if (job.jobError) detail.push(job.jobError);
    if (job.lagError) detail.push(job.lagError);
    document.getElementById('job-detail').textContent = detail.join(' · ');
    const banner = document.getElementById('banner');
    banner.className = 'banner ' + job.verdict;
    banner.hidden = job.verdict === 'ok';
    banner.textContent = job.verdictReason || '';
    return job.verdict === 'outage';
  }

  // ---- state ----

  function apply(state) {
    updates++;
    document.body.dataset.updates = String(updates);
    document.body.dataset.cameras = String(state.cameras.length);
    const outage = applyJob(state.job);
    const status = document.getElementById('status');
    const running = state.consumerStatus === 'running';
    status.className = 'status ' + (running ? 'ok' : 'warn');
    let text = 'dashboard reading Kafka: ' + state.consumerStatus + ' · ' + state.detectionsTopic + ' + ' + state.framesTopic
      + ' (read_committed) · ' + state.cachedFrames + ' frames cached';
    if (state.malformedDetectionRecords > 0) text += ' · ' + state.malformedDetectionRecords + ' malformed records';
    if (state.invalidFrameRecords > 0) text += ' · ' + state.invalidFrameRecords + ' invalid frames';
    if (state.consumerError) text += ' · ' + state.consumerError;
    status.textContent = text;
    const empty = document.getElementById('empty');
    empty.hidden = state.cameras.length > 0;
    empty.textContent = 'Waiting for records on ' + state.detectionsTopic + '…';
    for (const cam of state.cameras) {
      const c = card(cam.cameraId);
      const f = cam.frame;
      c.root.dataset.framesTotal = String(cam.framesTotal);
      c.root.dataset.detectionsTotal = String(cam.detectionsTotal);
      // During an outage, or without records for a while, the last records' rate is not a live frames/s.
      const live = !outage && !cam.stale;
      c.root.classList.toggle('stale', !live);
      c.root.dataset.fps = cam.fps === null || !live ? '' : String(cam.fps);
      c.root.dataset.e2eP50 = cam.latency.endToEndP50 === null ? '' : String(cam.latency.endToEndP50);
      c.root.dataset.e2eP99 = cam.latency.endToEndP99 === null ? '' : String(cam.latency.endToEndP99);
      c.s.fps.textContent = live ? fmt(cam.fps, 1) : '–';
      c.s.e2eP50.textContent = fmt(cam.latency.endToEndP50, 0, ' ms');
      c.s.e2eP99.textContent = fmt(cam.latency.endToEndP99, 0, ' ms');
      c.s.opP50.textContent = fmt(cam.latency.operatorP50, 0) + ' / ' + fmt(cam.latency.operatorP99, 0, ' ms');
      c.s.frames.textContent = String(cam.framesTotal);
      c.s.detections.textContent = String(cam.detectionsTotal);
      c.s.errors.textContent = String(cam.errorsTotal) + (cam.lastError ? ' (' + cam.lastError + ')' : '');
      c.s.last.textContent = age(cam.lastRecordAgeMs);
      c.meta.textContent = f
        ? '#' + f.frameIndex + ' · ' + (f.backend || '?') + ' ' + (f.precision || '') + ' · batch ' + f.batchSize
          + ' · ' + (f.model || '')
        : (cam.framesReceived + ' frames received, no detection record yet');
      if (cam.stale) c.meta.textContent += ' · no record for ' + age(cam.lastRecordAgeMs).replace(' ago', '');
      showFrame(cam.cameraId, c, f);
      drawChart(c, cam.labelSeries);
    }
  }

  function connect() {
    const es = new EventSource('api/events');
    es.onopen = function () { document.body.dataset.sse = 'open'; };
    es.onerror = function () {
      document.body.dataset.sse = es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      const status = document.getElementById('status');
      status.className = 'status bad';
      status.textContent = 'disconnected from the dashboard server, retrying…';
    };
    es.addEventListener('state', function (e) { apply(JSON.parse(e.data)); });
  }

  // For tests and the curious: the palette and what was drawn last per camera.
  window.flinkvision = { colorFor, lastDrawn };
  connect();
})();
