// FlinkVision live detections dashboard: receives state snapshots as Server-Sent Events (api/events) and draws
// the job's health (state, restarts, input lag, committed records/s, a banner during an outage), the pipeline totals,
// the dead letters by reason and, per camera, the latest frame with its boxes, the counters, its state (live, stalled,
// offline) and a chart of objects per label over time. A wall of cameras: live cameras first (the server's order),
// search by camera id, click a card to enlarge it, filter the boxes drawn by class and score.
// Charts: uPlot (vendored, vendor/uPlot.iife.min.js, MIT); no other library, no internet access needed.
'use strict';

(function () {
  // Box colours by class id (the palette YOLO tools commonly use; person = red).
  const PALETTE = [
    [255, 56, 56], [255, 157, 151], [255, 112, 31], [255, 178, 29], [207, 210, 49],
    [72, 249, 10], [146, 204, 23], [61, 219, 134], [26, 147, 52], [0, 212, 187],
    [44, 153, 168], [0, 194, 255], [52, 69, 147], [100, 115, 255], [0, 24, 236],
    [132, 56, 255], [82, 0, 133], [203, 56, 255], [255, 149, 200], [255, 55, 199]];
  const CARD_CHART_HEIGHT = 90;
  const ZOOM_CHART_HEIGHT = 170;
  const CHART_SPAN_S = 120;      // the server keeps 120 one-second buckets
  const MAX_NO_RECORD_KEYS = 60; // listed in the side panel

  const cards = new Map();      // cameraId -> card object
  const lastDrawn = {};         // cameraId -> what the card's canvas shows: {frameIndex, lineWidth, boxes, labels, ...}
  const zoomDrawn = {};         // the same for the enlarged camera
  const labelsSeen = new Map(); // label -> classId, for the class chips
  const filter = { query: '', minScore: 0, hidden: new Set(), sort: 'activity' };
  let latest = null;            // the last snapshot
  let order = [];               // camera ids of the cards, in DOM order
  let updates = 0;
  let deadLettersKey = '';
  let chartEndS = null;         // the right edge of every chart: the newest capture second of any camera

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

  function span(ms) {
    return age(ms).replace(' ago', '');
  }

  function clock(ms) {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }

  function stat(dl, key, title, short) {
    const d = el('div');
    const dt = el('dt', null, short || title);
    dt.title = title;
    d.appendChild(dt);
    const dd = el('dd', null, '–');
    dd.dataset.stat = key;
    d.appendChild(dd);
    dl.appendChild(d);
    return dd;
  }

  // The counters of a camera; short labels on the cards (the full one as the label's tooltip).
  function stats(dl, compact) {
    const t = (short) => (compact ? short : undefined);
    return {
      fps: stat(dl, 'fps', 'frames/s'),
      e2eP50: stat(dl, 'e2eP50', 'end-to-end p50', t('e2e p50')),
      e2eP99: stat(dl, 'e2eP99', 'end-to-end p99', t('e2e p99')),
      opP50: stat(dl, 'opP50', 'operator p50 / p99', t('operator')),
      frames: stat(dl, 'framesTotal', 'records'),
      detections: stat(dl, 'detectionsTotal', 'detections'),
      errors: stat(dl, 'errorsTotal', 'error records', t('errors')),
      dead: stat(dl, 'deadLetters', 'dead letters'),
    };
  }

  function card(cameraId) {
    let c = cards.get(cameraId);
    if (c) return c;
    const root = el('section', 'camera');
    root.dataset.camera = cameraId;
    root.dataset.state = '';
    root.dataset.frameIndex = '-1';
    root.dataset.boxesDrawn = '0';
    root.dataset.boxesTotal = '0';
    root.dataset.imageDrawn = 'false';
    root.dataset.framesTotal = '0';
    root.dataset.detectionsTotal = '0';
    root.dataset.deadLetters = '0';
    root.dataset.chartPoints = '0';
    root.dataset.trailsDrawn = '0';
    root.dataset.trackLabels = '0';
    root.dataset.linesDrawn = '0';
    root.dataset.zonesDrawn = '0';
    root.tabIndex = 0;
    root.title = 'click to enlarge';
    const header = el('header');
    const title = el('div', 'title');
    title.appendChild(el('h2', null, cameraId));
    const badge = el('span', 'badge', '');
    title.appendChild(badge);
    header.appendChild(title);
    const meta = el('span', 'meta', '');
    header.appendChild(meta);
    root.appendChild(header);
    const frame = el('canvas', 'frame');
    frame.width = 640;
    frame.height = 360;
    root.appendChild(frame);
    const dl = el('dl', 'stats');
    const s = stats(dl, true);
    root.appendChild(dl);
    root.appendChild(el('div', 'chart-title', 'objects per frame by label, per second'));
    const chart = el('div', 'chart');
    root.appendChild(chart);
    const legend = el('div', 'legend');
    root.appendChild(legend);
    const counts = el('div', 'analytics');
    counts.hidden = true;
    root.appendChild(counts);
    root.addEventListener('click', () => openZoom(cameraId));
    root.addEventListener('keydown', (e) => { if (e.key === 'Enter') openZoom(cameraId); });
    c = { id: cameraId, root, badge, meta, frame, chart, legend, counts, a: null, s, wanted: null, shownKey: null, f: null, img: null,
      plot: null, plotKey: null, series: { xs: [], frames: [], labels: [] } };
    cards.set(cameraId, c);
    return c;
  }

  // ---- frame with boxes ----

  function frameKey(f) {
    return f ? f.frameIndex + '|' + (f.imageUrl || '') + '|' + f.boxes.length : null;
  }

  function boxShown(b) {
    return b.score >= filter.minScore && !filter.hidden.has(b.label);
  }

  // Loads the frame's image (when it changed) and draws it with its boxes on the card, and on the enlarged view.
  function showFrame(c, f) {
    const key = frameKey(f);
    if (!f || key === c.shownKey || key === c.wanted) return;
    c.wanted = key;
    const done = (img) => {
      if (c.wanted !== key) return;
      c.f = f;
      c.img = img;
      c.shownKey = key;
      redraw(c);
    };
    if (!f.imageUrl) {
      done(null);
      return;
    }
    const img = new Image();
    img.onload = () => done(img);
    img.onerror = () => done(null);
    img.src = f.imageUrl;
  }

  function redraw(c) {
    if (!c.f) return;
    const d = draw(c.frame, c.f, c.img, c.a);
    lastDrawn[c.id] = d;
    c.root.dataset.frameIndex = String(c.f.frameIndex);
    c.root.dataset.boxesDrawn = String(d.boxes.length);
    c.root.dataset.trailsDrawn = String(d.trails.length);
    c.root.dataset.trackLabels = String(d.labels.filter((l) => l.trackId !== null).length);
    c.root.dataset.linesDrawn = String(d.lines.length);
    c.root.dataset.zonesDrawn = String(d.zones.length);
    c.root.dataset.boxesTotal = String(c.f.boxes.length);
    c.root.dataset.imageDrawn = String(!!c.img);
    if (zoomedId() === c.id) drawZoomFrame(c);
  }

  // Draws the camera's zones and counting lines (analytics config, source-image pixels) under the boxes; returns them
  // as drawn (canvas pixels).
  function drawRegions(ctx, a, sx, sy, lineWidth, fontPx) {
    const lines = [], zones = [];
    if (!a) return { lines, zones };
    ctx.save();
    ctx.font = fontPx + 'px sans-serif';
    ctx.textBaseline = 'top';
    for (const z of a.zones) {
      if (!z.polygon || z.polygon.length < 3) continue;
      const pts = z.polygon.map((p) => [Math.round(p[0] * sx), Math.round(p[1] * sy)]);
      ctx.beginPath();
      pts.forEach((p, i) => (i === 0 ? ctx.moveTo(p[0], p[1]) : ctx.lineTo(p[0], p[1])));
      ctx.closePath();
      ctx.fillStyle = 'rgba(0, 194, 255, 0.12)';
      ctx.fill();
      ctx.setLineDash([lineWidth * 3, lineWidth * 2]);
      ctx.strokeStyle = 'rgb(0, 194, 255)';
      ctx.lineWidth = lineWidth;
      ctx.stroke();
      ctx.setLineDash([]);
      const text = z.id + (z.occupancyNow === null ? '' : ': ' + z.occupancyNow + ' in zone');
      ctx.fillStyle = 'rgb(0, 194, 255)';
      ctx.fillText(text, pts[0][0] + 4, pts[0][1] + 4);
      zones.push({ id: z.id, points: pts, occupancyNow: z.occupancyNow });
    }
    for (const l of a.lines) {
      if (!l.from || !l.to) continue;
      const x1 = Math.round(l.from[0] * sx), y1 = Math.round(l.from[1] * sy);
      const x2 = Math.round(l.to[0] * sx), y2 = Math.round(l.to[1] * sy);
      ctx.strokeStyle = 'rgb(255, 214, 0)';
      ctx.lineWidth = lineWidth;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      ctx.stroke();
      const text = l.id + ' → ' + l.leftToRight + ' · ← ' + l.rightToLeft;
      const mx = Math.round((x1 + x2) / 2), my = Math.round((y1 + y2) / 2);
      const tw = Math.ceil(ctx.measureText(text).width) + 6;
      const tx = Math.min(Math.max(0, mx + 4), Math.max(0, ctx.canvas.width - tw));
      ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
      ctx.fillRect(tx, my + 4, tw, fontPx + 4);
      ctx.fillStyle = 'rgb(255, 214, 0)';
      ctx.fillText(text, tx + 3, my + 6);
      lines.push({ id: l.id, x1, y1, x2, y2, leftToRight: l.leftToRight, rightToLeft: l.rightToLeft });
    }
    ctx.restore();
    return { lines, zones };
  }

  // Draws each shown track's recent centres as a fading polyline in its class colour; returns them (canvas pixels).
  function drawTrails(ctx, f, sx, sy, lineWidth, shownIds) {
    const out = [];
    for (const t of (f.trails || [])) {
      if (!shownIds.has(t.trackId)) continue;
      const pts = t.points.map((p) => [Math.round(p[0] * sx), Math.round(p[1] * sy)]);
      const c = colorFor(t.classId);
      ctx.lineWidth = Math.max(1, lineWidth / 2);
      for (let i = 1; i < pts.length; i++) {
        ctx.strokeStyle = 'rgba(' + c[0] + ',' + c[1] + ',' + c[2] + ',' + (0.25 + 0.75 * i / pts.length) + ')';
        ctx.beginPath();
        ctx.moveTo(pts[i - 1][0], pts[i - 1][1]);
        ctx.lineTo(pts[i][0], pts[i][1]);
        ctx.stroke();
      }
      const last = pts[pts.length - 1];
      ctx.fillStyle = rgb(c);
      ctx.beginPath();
      ctx.arc(last[0], last[1], lineWidth, 0, 2 * Math.PI);
      ctx.fill();
      out.push({ trackId: t.trackId, classId: t.classId, points: pts });
    }
    return out;
  }

  // Draws the image, the camera's lines and zones, the trails and the boxes that pass the class/score filter (with
  // their track id when tracked); returns what was drawn (canvas pixels).
  function draw(canvas, f, img, a) {
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
    const boxes = f.boxes.filter(boxShown);
    const drawn = [];
    const regions = drawRegions(ctx, a, sx, sy, lineWidth, fontPx);
    const trails = drawTrails(ctx, f, sx, sy, lineWidth,
      new Set(boxes.filter((b) => b.trackId !== null && b.trackId !== undefined).map((b) => b.trackId)));
    ctx.lineWidth = lineWidth;
    for (const b of boxes) {
      const x1 = Math.round(b.x1 * sx), y1 = Math.round(b.y1 * sy);
      const x2 = Math.round(b.x2 * sx), y2 = Math.round(b.y2 * sy);
      ctx.strokeStyle = rgb(colorFor(b.classId));
      ctx.strokeRect(x1, y1, Math.max(1, x2 - x1), Math.max(1, y2 - y1));
      drawn.push({ classId: b.classId, label: b.label, score: b.score, trackId: tracked(b) ? b.trackId : null,
        x1, y1, x2, y2 });
    }
    ctx.font = fontPx + 'px sans-serif';
    ctx.textBaseline = 'top';
    const labels = [];
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i], d = drawn[i];
      const text = (tracked(b) ? '#' + b.trackId + ' ' : '') + b.label + ' ' + Math.round(b.score * 100) + '%';
      const tw = Math.ceil(ctx.measureText(text).width) + 6;
      const th = fontPx + 4;
      const ty = d.y1 - lineWidth / 2 - th >= 0 ? d.y1 - lineWidth / 2 - th : d.y1 + lineWidth / 2;
      const tx = Math.min(Math.max(0, d.x1 - lineWidth / 2), Math.max(0, w - tw));
      ctx.fillStyle = rgb(colorFor(b.classId));
      ctx.fillRect(tx, ty, tw, th);
      ctx.fillStyle = '#000';
      ctx.fillText(text, tx + 3, ty + 2);
      labels.push({ x: tx, y: ty, w: tw, h: th, text, trackId: d.trackId });
    }
    return { frameIndex: f.frameIndex, lineWidth, boxes: drawn, labels, image: !!img, width: w, height: h, trails,
      lines: regions.lines, zones: regions.zones };
  }

  function tracked(b) {
    return b.trackId !== null && b.trackId !== undefined;
  }

  // ---- line crossings and zone occupancy (analytics topic) as text and small bars per window ----

  function bars(values, max, title) {
    const holder = el('span', 'bars');
    holder.title = title;
    for (const v of values) {
      const bar = el('span', 'bar');
      bar.style.height = (max > 0 ? Math.max(1, Math.round(14 * v / max)) : 1) + 'px';
      holder.appendChild(bar);
    }
    return holder;
  }

  function applyAnalytics(c, a) {
    c.a = a;
    c.counts.hidden = !a;
    c.counts.replaceChildren();
    if (!a) return;
    const head = el('div', 'chart-title', 'counts (analytics, ' + a.windows + ' window' + (a.windows === 1 ? '' : 's')
      + (a.windowMs ? ' of ' + span(a.windowMs) : '') + (a.lastWindowEndMs ? ', last to ' + clock(a.lastWindowEndMs)
      : '') + ')');
    c.counts.appendChild(head);
    for (const l of a.lines) {
      const row = el('div', 'count-row line');
      row.dataset.line = l.id;
      row.dataset.leftToRight = String(l.leftToRight);
      row.dataset.rightToLeft = String(l.rightToLeft);
      row.appendChild(el('span', 'count-id', l.id));
      row.appendChild(el('span', 'count-val', '→ ' + l.leftToRight + '  ← ' + l.rightToLeft
        + (l.lastLeftToRight === null ? '' : '  (last window ' + l.lastLeftToRight + ' / ' + l.lastRightToLeft + ')')));
      const per = l.recent.map((r) => r[1] + r[2]);
      row.appendChild(bars(per, Math.max(1, ...per), 'crossings per window, oldest first: ' + per.join(', ')));
      c.counts.appendChild(row);
    }
    for (const z of a.zones) {
      const row = el('div', 'count-row zone');
      row.dataset.zone = z.id;
      row.dataset.occupancyNow = z.occupancyNow === null ? '' : String(z.occupancyNow);
      row.dataset.entered = String(z.entered);
      row.appendChild(el('span', 'count-id', z.id));
      row.appendChild(el('span', 'count-val', (z.occupancyNow === null ? '' : 'now ' + z.occupancyNow + ' · ')
        + 'in ' + z.entered + ' / out ' + z.exited
        + (z.lastOccupancyMax === null ? '' : ' · last window max ' + z.lastOccupancyMax + ', mean '
          + z.lastOccupancyMean)));
      const per = z.recent.map((r) => r[3]);
      row.appendChild(bars(per, Math.max(1, ...per), 'occupancy max per window, oldest first: ' + per.join(', ')));
      c.counts.appendChild(row);
    }
  }

  // ---- chart of objects per frame by label (uPlot, time axis, tooltip) ----

  function seriesData(series) {
    const n = series && series.frames ? series.frames.length : 0;
    const xs = [];
    for (let i = 0; i < n; i++) xs.push((series.startMs + i * series.bucketMs) / 1000);
    const labels = (series && series.labels) || [];
    return { xs, frames: n ? series.frames : [], labels };
  }

  // A tooltip at the cursor: the second of capture time, each label's objects per frame and the frames in it.
  function tooltip(holder) {
    let tip = null;
    return {
      hooks: {
        init: (u) => {
          tip = el('div', 'chart-tip');
          tip.hidden = true;
          u.over.appendChild(tip);
          u.over.addEventListener('mouseleave', () => { tip.hidden = true; });
        },
        setCursor: (u) => {
          const i = u.cursor.idx;
          const s = holder.series;
          if (i === null || i === undefined || u.cursor.left < 0 || i >= s.xs.length) {
            tip.hidden = true;
            return;
          }
          tip.replaceChildren(el('div', 'tip-time', clock(s.xs[i] * 1000) + ' · ' + s.frames[i]
            + (s.frames[i] === 1 ? ' frame' : ' frames')));
          for (const l of s.labels) {
            const row = el('div', 'tip-row');
            const sw = el('span', 'swatch');
            sw.style.background = rgb(colorFor(l.classId));
            row.appendChild(sw);
            row.appendChild(document.createTextNode(l.label + ' ' + fmt(l.values[i], 2)));
            tip.appendChild(row);
          }
          const ow = u.over.clientWidth;
          tip.hidden = false;
          const left = u.cursor.left + 12 + tip.offsetWidth > ow ? u.cursor.left - 12 - tip.offsetWidth
            : u.cursor.left + 12;
          tip.style.left = Math.max(0, left) + 'px';
          tip.style.top = Math.max(0, u.cursor.top - tip.offsetHeight / 2) + 'px';
          tip.dataset.index = String(i);
        },
      },
    };
  }

  // Points are drawn where a line would hardly show: a series of one or two values.
  function fewPoints(values) {
    let n = 0;
    for (const v of values || []) if (v !== null && ++n > 2) return false;
    return true;
  }

  function makePlot(container, holder, height) {
    const s = holder.series;
    const axis = { stroke: '#9aa1ab', grid: { stroke: '#2b2f36', width: 1 }, ticks: { stroke: '#3a3f47', width: 1 },
      font: '11px system-ui, sans-serif' };
    const opts = {
      width: container.clientWidth,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: {
        // one time axis for the wall: a camera that stopped drifts left instead of keeping its last values in view
        x: { time: true, range: (u, min, max) => {
          const end = chartEndS !== null && chartEndS >= max ? chartEndS : max;
          return [end - (CHART_SPAN_S - 1), end];
        } },
        y: { range: (u, min, max) => [0, max > 0 ? Math.ceil(max * 1.15 * 2) / 2 : 1] },
      },
      axes: [Object.assign({ space: 70, values: (u, splits) => splits.map((v) => clock(v * 1000)) }, axis),
        Object.assign({ size: 36, space: 24, values: (u, vals) => vals.map((v) => v.toFixed(1)) }, axis)],
      series: [{}].concat(s.labels.map((l) => ({ label: l.label, stroke: rgb(colorFor(l.classId)), width: 2,
        spanGaps: false, points: { size: 5, fill: rgb(colorFor(l.classId)), show: (u, si) => fewPoints(u.data[si]) },
      }))),
      plugins: [tooltip(holder)],
    };
    return new uPlot(opts, [s.xs].concat(s.labels.map((l) => l.values)), container);
  }

  // Draws (or updates) a chart into container; holder keeps {plot, plotKey, series}. Returns the points drawn.
  function chart(container, holder, series, height) {
    holder.series = seriesData(series);
    const s = holder.series;
    let points = 0;
    for (const l of s.labels) for (const v of l.values) if (v !== null) points++;
    const width = container.clientWidth;
    if (width === 0 || s.xs.length === 0) return points; // hidden (filtered out) or nothing yet: drawn later
    const key = s.labels.map((l) => l.label + '#' + l.classId).join('|');
    if (holder.plot && holder.plotKey !== key) {
      holder.plot.destroy();
      holder.plot = null;
    }
    if (!holder.plot) {
      holder.plot = makePlot(container, holder, height);
      holder.plotKey = key;
    } else {
      if (Math.abs(holder.plot.width - width) > 2) holder.plot.setSize({ width, height });
      holder.plot.setData([s.xs].concat(s.labels.map((l) => l.values)));
    }
    return points;
  }

  function legend(container, series) {
    container.replaceChildren();
    for (const l of (series && series.labels) || []) {
      const item = el('span');
      const sw = el('span', 'swatch');
      sw.style.background = rgb(colorFor(l.classId));
      item.appendChild(sw);
      let last = null;
      for (let i = l.values.length - 1; i >= 0; i--) if (l.values[i] !== null) { last = l.values[i]; break; }
      item.appendChild(document.createTextNode(l.label + ' ' + fmt(last, 1)));
      container.appendChild(item);
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

  // ---- totals and dead letters ----

  function applyTotals(state) {
    const t = state.totals;
    document.getElementById('t-frames').textContent = t.framesRead
      + (t.invalidFrames > 0 ? ' (' + t.invalidFrames + ' invalid)' : '');
    document.getElementById('t-records').textContent = t.detectionRecords
      + (t.errorRecords > 0 ? ' (' + t.errorRecords + ' error)' : '');
    document.getElementById('t-dead').textContent = String(t.deadLetters);
    document.getElementById('t-fps').textContent = fmt(t.framesPerSecond, 1);
    const cams = document.getElementById('t-cameras');
    cams.textContent = t.live + ' live · ' + t.stalled + ' stalled · ' + t.offline + ' offline · ' + t.noRecords
      + ' without records';
    cams.dataset.live = String(t.live);
    cams.dataset.stalled = String(t.stalled);
    cams.dataset.offline = String(t.offline);
    cams.dataset.noRecords = String(t.noRecords);
    document.getElementById('stalled-after').textContent = Math.round(state.stalledAfterMs / 1000) + ' s';
    document.getElementById('offline-after').textContent = Math.round(state.offlineAfterMs / 1000) + ' s';
  }

  function source(d) {
    return d.sourceTopic === null ? 'source unknown' : d.sourceTopic + '/' + d.sourcePartition + '@' + d.sourceOffset;
  }

  function applyDeadLetters(state) {
    const dl = state.deadLetters;
    const key = JSON.stringify(dl);
    if (key === deadLettersKey) {
      return;
    }
    deadLettersKey = key;
    document.getElementById('dl-topic').textContent = dl.topic === null ? '' : '(' + dl.topic + ')';
    document.getElementById('dl-total').textContent = String(dl.total);
    document.getElementById('dl-note').textContent = dl.topic === null
      ? 'No dead-letter topic read (--dead-letter-topic).'
      : (dl.topicPresent ? 'Read since the dashboard started; frames in = detection records + dead letters.'
        : 'Topic ' + dl.topic + ' does not exist (yet); it is read from its beginning once it appears.');
    const body = document.querySelector('#dl-reasons tbody');
    body.replaceChildren();
    for (const r of dl.byReason) {
      const tr = el('tr');
      tr.dataset.reason = r.reason;
      tr.dataset.count = String(r.count);
      tr.appendChild(el('td', 'reason', r.reason));
      tr.appendChild(el('td', 'num', String(r.count)));
      tr.appendChild(el('td', 'muted', clock(r.lastAtMs) + (r.lastCameraId ? ' ' + r.lastCameraId : '')));
      body.appendChild(tr);
    }
    const list = document.getElementById('dl-recent');
    list.replaceChildren();
    for (const d of dl.recent) {
      const li = el('li');
      li.dataset.camera = d.cameraId === null ? '' : d.cameraId;
      li.dataset.reason = d.reason;
      li.dataset.frameIndex = d.frameIndex === null ? '' : String(d.frameIndex);
      li.dataset.source = source(d);
      const head = el('div', 'dl-head');
      head.appendChild(el('span', 'muted', clock(d.deadLetteredAtMs)));
      head.appendChild(el('b', null, d.cameraId === null ? '(no key)' : d.cameraId));
      head.appendChild(el('span', null, d.frameIndex === null ? 'frame ?' : 'frame #' + d.frameIndex));
      head.appendChild(el('span', 'reason', d.reason + (d.truncated ? ' (truncated)' : '')));
      li.appendChild(head);
      li.appendChild(el('div', 'dl-source muted', source(d)));
      if (d.message) {
        const m = el('div', 'dl-message', d.message);
        m.title = d.message;
        li.appendChild(m);
      }
      list.appendChild(li);
    }
  }

  function matches(cameraId) {
    return filter.query === '' || cameraId.toLowerCase().includes(filter.query);
  }

  let noRecordsKey = '';

  // The side list of keys without detection records, rebuilt only when what it shows changes.
  function applyNoRecords(cams) {
    const list = document.getElementById('nr-list');
    const shown = cams.filter((c) => matches(c.cameraId));
    document.getElementById('nr-count').textContent = String(cams.length);
    const key = JSON.stringify(shown.slice(0, MAX_NO_RECORD_KEYS + 1).map((c) => [c.cameraId, c.framesReceived,
      c.deadLettersTotal, c.lastDeadLetterReason]));
    if (key === noRecordsKey) return;
    noRecordsKey = key;
    list.replaceChildren();
    for (const c of shown.slice(0, MAX_NO_RECORD_KEYS)) {
      const li = el('li');
      li.dataset.camera = c.cameraId;
      li.appendChild(el('b', null, c.cameraId));
      let text = ' ' + c.framesReceived + (c.framesReceived === 1 ? ' frame' : ' frames');
      if (c.deadLettersTotal > 0) {
        text += ' · ' + c.deadLettersTotal + (c.deadLettersTotal === 1 ? ' dead letter (' : ' dead letters (')
          + c.lastDeadLetterReason + ')';
      }
      li.appendChild(document.createTextNode(text));
      list.appendChild(li);
    }
    if (shown.length > MAX_NO_RECORD_KEYS) list.appendChild(el('li', 'muted', '+' + (shown.length
      - MAX_NO_RECORD_KEYS) + ' more (use the search)'));
  }

  // ---- class / score filter, search, order ----

  function noteLabels(cam) {
    let added = false;
    const add = (label, classId) => {
      if (!labelsSeen.has(label)) {
        labelsSeen.set(label, classId);
        added = true;
      }
    };
    if (cam.frame) for (const b of cam.frame.boxes) add(b.label, b.classId);
    for (const l of cam.labelSeries.labels) add(l.label, l.classId);
    return added;
  }

  function renderChips() {
    const box = document.getElementById('classes');
    box.replaceChildren();
    const sorted = Array.from(labelsSeen.entries()).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    for (const [label, classId] of sorted) {
      const chip = el('button', 'chip');
      chip.type = 'button';
      chip.dataset.label = label;
      chip.setAttribute('aria-pressed', String(!filter.hidden.has(label)));
      const sw = el('span', 'swatch');
      sw.style.background = rgb(colorFor(classId));
      chip.appendChild(sw);
      chip.appendChild(document.createTextNode(label));
      chip.addEventListener('click', () => {
        if (filter.hidden.has(label)) filter.hidden.delete(label); else filter.hidden.add(label);
        chip.setAttribute('aria-pressed', String(!filter.hidden.has(label)));
        redrawAll();
      });
      box.appendChild(chip);
    }
  }

  function redrawAll() {
    for (const c of cards.values()) redraw(c);
    if (latest) arrange(latest);
  }

  function objectsInView(c) {
    return c.f ? c.f.boxes.filter(boxShown).length : 0;
  }

  // Puts the cards in the chosen order (the server's: live first) and hides those the search does not match.
  function arrange(state) {
    const ids = state.cameras.filter((c) => c.state !== 'no-records').map((c) => c.cameraId);
    if (filter.sort === 'id') {
      ids.sort((a, b) => a.localeCompare(b));
    } else if (filter.sort === 'objects') {
      const rank = new Map(ids.map((id, i) => [id, i]));
      ids.sort((a, b) => objectsInView(card(b)) - objectsInView(card(a)) || rank.get(a) - rank.get(b));
    }
    if (ids.join('\n') !== order.join('\n')) {
      const main = document.getElementById('cameras');
      for (const id of ids) main.appendChild(card(id).root);
      order = ids;
    }
    let shown = 0;
    for (const id of ids) {
      const c = card(id);
      const visible = matches(id);
      c.root.hidden = !visible;
      if (visible) shown++;
    }
    document.body.dataset.camerasShown = String(shown);
    document.getElementById('shown').textContent = filter.query === '' ? ids.length + ' cameras'
      : shown + ' of ' + ids.length + ' cameras match';
  }

  // ---- enlarged camera ----

  function zoomedId() {
    const d = document.getElementById('zoom');
    return d.open ? d.dataset.camera : null;
  }

  const zoomHolder = { plot: null, plotKey: null, series: { xs: [], frames: [], labels: [] } };
  let zoomStats = null;

  function openZoom(cameraId) {
    const d = document.getElementById('zoom');
    d.dataset.camera = cameraId;
    document.getElementById('zoom-title').textContent = cameraId;
    if (!zoomStats) zoomStats = stats(document.getElementById('zoom-stats'));
    if (zoomHolder.plot) {
      zoomHolder.plot.destroy();
      zoomHolder.plot = null;
    }
    const canvas = document.getElementById('zoom-frame');
    canvas.dataset.imageDrawn = 'false';
    canvas.dataset.boxesDrawn = '0';
    // The box filters move into the dialog while it is open (the page behind a modal dialog is inert).
    document.getElementById('zoom-filters').appendChild(document.getElementById('box-filters'));
    if (!d.open) d.showModal();
    document.body.dataset.zoom = cameraId;
    const c = cards.get(cameraId);
    if (c) drawZoomFrame(c);
    if (latest) applyZoom(latest);
  }

  function drawZoomFrame(c) {
    if (!c.f) return;
    const canvas = document.getElementById('zoom-frame');
    const drawn = draw(canvas, c.f, c.img, c.a);
    Object.keys(zoomDrawn).forEach((k) => delete zoomDrawn[k]);
    Object.assign(zoomDrawn, drawn, { cameraId: c.id });
    canvas.dataset.frameIndex = String(c.f.frameIndex);
    canvas.dataset.imageDrawn = String(!!c.img);
    canvas.dataset.boxesDrawn = String(drawn.boxes.length);
  }

  function applyZoom(state) {
    const id = zoomedId();
    if (id === null) return;
    const cam = state.cameras.find((x) => x.cameraId === id);
    if (!cam) return;
    const c = cards.get(id);
    fillStats(zoomStats, cam, c ? !c.root.classList.contains('stale') : false);
    const badge = document.getElementById('zoom-badge');
    badge.className = 'badge ' + cam.state;
    badge.textContent = badgeText(cam);
    document.getElementById('zoom-meta').textContent = metaText(cam);
    const points = chart(document.getElementById('zoom-chart'), zoomHolder, cam.labelSeries, ZOOM_CHART_HEIGHT);
    document.getElementById('zoom-chart').dataset.chartPoints = String(points);
    legend(document.getElementById('zoom-legend'), cam.labelSeries);
  }

  // ---- cameras ----

  function badgeText(cam) {
    if (cam.state === 'stalled') return 'stalled · no record for ' + span(cam.lastRecordAgeMs);
    if (cam.state === 'offline') return 'offline · nothing for ' + span(cam.lastActivityAgeMs);
    return cam.state;
  }

  function metaText(cam) {
    const f = cam.frame;
    if (!f) {
      return cam.framesReceived + ' frames received, no frame shown yet'
        + (cam.errorsTotal > 0 ? ' (error records only)' : '');
    }
    return '#' + f.frameIndex + ' · ' + (f.backend || '?') + ' ' + (f.precision || '') + ' · batch ' + f.batchSize
      + ' · ' + (f.model || '');
  }

  function fillStats(s, cam, live) {
    s.fps.textContent = live ? fmt(cam.fps, 1) : '–';
    s.e2eP50.textContent = fmt(cam.latency.endToEndP50, 0, ' ms');
    s.e2eP99.textContent = fmt(cam.latency.endToEndP99, 0, ' ms');
    s.opP50.textContent = fmt(cam.latency.operatorP50, 0) + ' / ' + fmt(cam.latency.operatorP99, 0, ' ms');
    s.frames.textContent = String(cam.framesTotal);
    s.detections.textContent = String(cam.detectionsTotal);
    s.errors.textContent = String(cam.errorsTotal) + (cam.lastError ? ' (' + cam.lastError + ')' : '');
    s.dead.textContent = String(cam.deadLettersTotal)
      + (cam.lastDeadLetterReason ? ' (' + cam.lastDeadLetterReason + ')' : '');
  }

  function applyCamera(cam, outage) {
    const c = card(cam.cameraId);
    c.root.dataset.state = cam.state;
    c.root.dataset.framesTotal = String(cam.framesTotal);
    c.root.dataset.detectionsTotal = String(cam.detectionsTotal);
    c.root.dataset.deadLetters = String(cam.deadLettersTotal);
    // During an outage, or without records for a while, the last records' rate is not a live frames/s.
    const live = !outage && cam.state === 'live';
    c.root.classList.toggle('stale', !live);
    c.root.dataset.fps = cam.fps === null || !live ? '' : String(cam.fps);
    c.root.dataset.e2eP50 = cam.latency.endToEndP50 === null ? '' : String(cam.latency.endToEndP50);
    c.root.dataset.e2eP99 = cam.latency.endToEndP99 === null ? '' : String(cam.latency.endToEndP99);
    c.badge.className = 'badge ' + cam.state;
    c.badge.textContent = badgeText(cam);
    fillStats(c.s, cam, live);
    c.s.fps.title = 'last record ' + age(cam.lastRecordAgeMs);
    c.meta.textContent = cam.frame ? '#' + cam.frame.frameIndex + ' · ' + (cam.frame.backend || '?') + ' '
      + (cam.frame.precision || '') : metaText(cam);
    c.meta.title = metaText(cam);
    const analyticsChanged = JSON.stringify(cam.analytics) !== JSON.stringify(c.a);
    applyAnalytics(c, cam.analytics);
    if (analyticsChanged && c.f) redraw(c); // new counts on the lines, new occupancy
    showFrame(c, cam.frame);
    c.root.dataset.chartPoints = String(chart(c.chart, c, cam.labelSeries, CARD_CHART_HEIGHT));
    legend(c.legend, cam.labelSeries);
  }

  // ---- state ----

  function apply(state) {
    latest = state;
    updates++;
    document.body.dataset.updates = String(updates);
    document.body.dataset.cameras = String(state.cameras.length);
    const outage = applyJob(state.job);
    const status = document.getElementById('status');
    const running = state.consumerStatus === 'running';
    status.className = 'status ' + (running ? 'ok' : 'warn');
    let text = 'dashboard reading Kafka: ' + state.consumerStatus + ' · ' + state.detectionsTopic + ' + '
      + state.framesTopic + (state.deadLetters.topic ? ' + ' + state.deadLetters.topic : '')
      + ' (read_committed) · ' + state.cachedFrames + ' frames cached';
    if (state.malformedDetectionRecords > 0) text += ' · ' + state.malformedDetectionRecords + ' malformed records';
    if (state.invalidFrameRecords > 0) text += ' · ' + state.invalidFrameRecords + ' invalid frames';
    if (state.consumerError) text += ' · ' + state.consumerError;
    status.textContent = text;
    applyTotals(state);
    applyDeadLetters(state);
    const withRecords = state.cameras.filter((c) => c.state !== 'no-records');
    const empty = document.getElementById('empty');
    empty.hidden = withRecords.length > 0;
    empty.textContent = state.cameras.length === 0 ? 'Waiting for records on ' + state.detectionsTopic + '…'
      : 'No camera has a detection record yet (' + state.cameras.length + ' keys without, see the side panel).';
    chartEndS = null;
    for (const cam of withRecords) {
      const n = cam.labelSeries.frames.length;
      if (n > 0) {
        const end = (cam.labelSeries.startMs + (n - 1) * cam.labelSeries.bucketMs) / 1000;
        if (chartEndS === null || end > chartEndS) chartEndS = end;
      }
    }
    let newLabels = false;
    for (const cam of withRecords) {
      if (noteLabels(cam)) newLabels = true;
    }
    if (newLabels) renderChips();
    arrange(state); // cards first placed (and unhidden) so that their charts get their width
    for (const cam of withRecords) applyCamera(cam, outage);
    arrange(state);
    applyNoRecords(state.cameras.filter((c) => c.state === 'no-records'));
    applyZoom(state);
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

  function controls() {
    const search = document.getElementById('search');
    search.addEventListener('input', () => {
      filter.query = search.value.trim().toLowerCase();
      if (latest) {
        arrange(latest);
        applyNoRecords(latest.cameras.filter((c) => c.state === 'no-records'));
        for (const cam of latest.cameras) {
          const c = cards.get(cam.cameraId);
          if (c && !c.root.hidden) c.root.dataset.chartPoints = String(chart(c.chart, c, cam.labelSeries,
            CARD_CHART_HEIGHT));
        }
      }
    });
    const sort = document.getElementById('sort');
    sort.addEventListener('change', () => {
      filter.sort = sort.value;
      if (latest) arrange(latest);
    });
    const score = document.getElementById('min-score');
    score.addEventListener('input', () => {
      filter.minScore = Number(score.value);
      document.getElementById('min-score-value').textContent = filter.minScore.toFixed(2);
      redrawAll();
    });
    const zoom = document.getElementById('zoom');
    document.getElementById('zoom-close').addEventListener('click', () => zoom.close());
    zoom.addEventListener('click', (e) => { // a click on the backdrop, outside the dialog's box
      const r = zoom.getBoundingClientRect();
      if (e.target === zoom && (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top
        || e.clientY > r.bottom)) zoom.close();
    });
    zoom.addEventListener('close', () => {
      document.getElementById('toolbar').insertBefore(document.getElementById('box-filters'),
        document.getElementById('shown'));
      document.body.dataset.zoom = '';
      if (zoomHolder.plot) {
        zoomHolder.plot.destroy();
        zoomHolder.plot = null;
      }
    });
    window.addEventListener('resize', () => {
      for (const c of cards.values()) {
        if (c.plot && c.chart.clientWidth > 0) c.plot.setSize({ width: c.chart.clientWidth, height: CARD_CHART_HEIGHT });
      }
      const z = document.getElementById('zoom-chart');
      if (zoomHolder.plot && z.clientWidth > 0) zoomHolder.plot.setSize({ width: z.clientWidth,
        height: ZOOM_CHART_HEIGHT });
    });
  }

  // For tests and the curious: the palette and what was drawn last per camera and in the enlarged view.
  window.flinkvision = { colorFor, lastDrawn, zoomDrawn, filter };
  controls();
  connect();
})();
