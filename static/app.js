/* OCR WebUI: upload, recognize through the public API, review, edit, copy and export.
 *
 * Every file is sent as its own `POST /ocr` (two at a time) rather than one `POST /ocr/batch`:
 *  - the upload progress of each image is known (XHR upload events are per request);
 *  - the server's body-size cap (413) applies per request, so one oversized image fails alone
 *    instead of rejecting the whole batch, and the other results are kept;
 *  - each result arrives as soon as it is ready.
 * The batch endpoint gives the same per-file results for scripts.
 *
 * Safety: every string that comes from a user or from the server (file names, recognised text,
 * error messages) is written with textContent or value, never innerHTML. The page's CSP forbids
 * inline scripts as a second line of defence.
 */
'use strict';

(() => {
  const API_OCR = '/ocr';
  const MAX_PARALLEL_UPLOADS = 2;
  const PREVIEW_MAX_SIDE_PX = 800;
  const CROP_THRESHOLD_HEIGHT_PX = 64; // the server thresholds lines at this height ...
  const CROP_HEIGHT_PX = 32;           // ... then reduces them to the model's input height
  // PreprocessConfig's line threshold (denoise_kernel_px, block_size, threshold_c, threshold_ramp):
  // the crops show what the model gets with the server's defaults; the sliders explore the page's
  // step threshold.
  const CROP_THRESHOLD = { denoise: 3, block: 21, c: 16, ramp: 32 };
  const CROP_MAX_WIDTH_PX = 1600;

  const ERROR_LABELS = {
    bad_request: '请求无效 / Bad request',
    payload_too_large: '文件过大 / File too large',
    unsupported_media_type: '不支持的格式 / Unsupported format',
    unprocessable_image: '无法处理的图片 / Unprocessable image',
    model_unavailable: '模型暂不可用，请稍后重试 / Model unavailable, retry later',
    inference_failed: '识别失败 / Recognition failed',
    internal_error: '服务器内部错误 / Internal server error',
    network_error: '网络错误 / Network error',
    bad_response: '无效的服务器响应 / Invalid server response',
  };
  const STATUS_LABELS = {
    pending: '待识别 / Pending',
    uploading: '上传中 / Uploading',
    processing: '识别中 / Recognizing',
    done: '完成 / Done',
    error: '失败 / Failed',
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    dropzone: $('dropzone'), fileInput: $('file-input'), mode: $('mode-select'),
    recognize: $('recognize-btn'), clear: $('clear-btn'), gallery: $('gallery'),
    galleryCount: $('gallery-count'), summary: $('batch-summary'), exportZip: $('export-zip-btn'),
    empty: $('empty-state'), detail: $('detail'), name: $('detail-name'), timing: $('detail-timing'),
    error: $('detail-error'), viewerImg: $('viewer-img'), boxLayer: $('box-layer'),
    viewerNote: $('viewer-note'), viewerWrap: $('viewer-wrap'), linesPanel: $('lines-panel'),
    previewPanel: $('preview-panel'), lines: $('lines'), lineCount: $('line-count'),
    copyAll: $('copy-all-btn'), exportTxt: $('export-txt-btn'), exportJson: $('export-json-btn'),
    exportCsv: $('export-csv-btn'), blockSlider: $('block-slider'), blockValue: $('block-value'),
    cSlider: $('c-slider'), cValue: $('c-value'), previewCanvas: $('preview-canvas'),
    crops: $('crops'), cropsTitle: $('crops-title'), toast: $('toast'), modelInfo: $('model-info'),
  };

  const state = { items: [], selectedId: null, nextId: 1, running: false, pasteCount: 0 };

  /* ---------- adding files ---------- */

  function addFiles(fileList) {
    const files = Array.from(fileList || []);
    for (const file of files) {
      const item = {
        id: state.nextId++, file, name: file.name || 'image', url: URL.createObjectURL(file),
        status: 'pending', progress: 0, mode: null, result: null, lines: [], error: null,
        roundTripMs: null, card: null, displayable: null, // null until the browser tried to show it
      };
      state.items.push(item);
      el.gallery.appendChild(buildCard(item));
      if (state.selectedId === null) selectItem(item.id);
    }
    if (files.length) refreshControls();
  }

  function pastedFiles(event) {
    const out = [];
    for (const entry of Array.from(event.clipboardData ? event.clipboardData.items : [])) {
      if (entry.kind !== 'file') continue;
      const blob = entry.getAsFile();
      if (!blob) continue;
      state.pasteCount += 1;
      const ext = (blob.type.split('/')[1] || 'png').replace(/[^a-z0-9]/gi, '');
      out.push(new File([blob], `粘贴-pasted-${state.pasteCount}.${ext}`, { type: blob.type }));
    }
    return out;
  }

  /* ---------- gallery ---------- */

  function buildCard(item) {
    const li = document.createElement('li');
    li.className = 'card';
    li.tabIndex = 0;
    li.dataset.id = String(item.id);
    const thumb = document.createElement('img');
    thumb.className = 'thumb';
    thumb.alt = '';
    thumb.src = item.url;
    thumb.addEventListener('error', () => thumb.classList.add('no-thumb'));
    const body = document.createElement('div');
    body.className = 'card-body';
    const name = document.createElement('span');
    name.className = 'card-name';
    name.textContent = item.name;
    name.title = item.name;
    const status = document.createElement('span');
    status.className = 'card-status';
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.className = 'fill';
    bar.appendChild(fill);
    const err = document.createElement('p');
    err.className = 'card-error';
    body.append(name, status, bar, err);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'card-remove';
    remove.title = '移除 / Remove';
    remove.setAttribute('aria-label', '移除 / Remove');
    remove.textContent = '×';
    remove.addEventListener('click', (e) => { e.stopPropagation(); removeItem(item.id); });
    li.append(thumb, body, remove);
    li.addEventListener('click', () => selectItem(item.id));
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectItem(item.id); }
    });
    item.card = { li, status, fill, err };
    updateCard(item);
    return li;
  }

  function updateCard(item) {
    const c = item.card;
    c.li.dataset.status = item.status;
    c.li.classList.toggle('selected', item.id === state.selectedId);
    c.li.setAttribute('aria-current', String(item.id === state.selectedId));
    let label = STATUS_LABELS[item.status];
    if (item.status === 'done') label += ` · ${item.lines.length} 行 / lines · ${item.result.time_ms} ms`;
    if (item.status === 'uploading') label += ` ${Math.round(item.progress * 100)}%`;
    c.status.textContent = label;
    const pct = item.status === 'done' || item.status === 'error' ? 100 : Math.round(item.progress * 100);
    c.fill.style.width = `${pct}%`;
    c.err.textContent = item.error ? errorText(item.error) : '';
  }

  function removeItem(id) {
    const idx = state.items.findIndex((it) => it.id === id);
    if (idx < 0 || ['uploading', 'processing'].includes(state.items[idx].status)) return;
    const [item] = state.items.splice(idx, 1);
    item.card.li.remove();
    URL.revokeObjectURL(item.url);
    if (state.selectedId === id) {
      state.selectedId = null;
      const next = state.items[Math.min(idx, state.items.length - 1)];
      if (next) selectItem(next.id); else renderDetail();
    }
    refreshControls();
  }

  function clearAll() {
    if (state.running) return;
    for (const item of state.items) URL.revokeObjectURL(item.url);
    state.items = [];
    state.selectedId = null;
    el.gallery.replaceChildren();
    renderDetail();
    refreshControls();
  }

  function selectItem(id) {
    state.selectedId = id;
    for (const item of state.items) updateCard(item);
    renderDetail();
  }

  function selectedItem() {
    return state.items.find((it) => it.id === state.selectedId) || null;
  }

  function refreshControls() {
    const n = state.items.length;
    el.galleryCount.textContent = String(n);
    el.recognize.disabled = state.running || n === 0;
    el.clear.disabled = state.running || n === 0;
    const finished = state.items.filter((it) => it.status === 'done' || it.status === 'error');
    el.exportZip.disabled = finished.length === 0;
    const done = state.items.filter((it) => it.status === 'done');
    const failed = state.items.filter((it) => it.status === 'error');
    if (!n) { el.summary.textContent = ''; return; }
    let text = `完成 / done ${done.length}/${n}`;
    if (failed.length) text += ` · 失败 / failed ${failed.length}`;
    if (done.length) {
      const serverMs = done.reduce((s, it) => s + it.result.time_ms, 0);
      text += ` · 服务器合计 / server total ${serverMs} ms`;
    }
    el.summary.textContent = text;
  }

  /* ---------- recognition ---------- */

  function postImage(item, mode, onProgress) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append('image', item.file, item.name);
      form.append('mode', mode);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', API_OCR);
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress('uploading', e.loaded / e.total);
      });
      xhr.upload.addEventListener('load', () => onProgress('processing', 1));
      xhr.addEventListener('load', () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
        resolve({ status: xhr.status, body });
      });
      xhr.addEventListener('error', () => resolve({ status: 0, body: null }));
      xhr.send(form);
    });
  }

  function toError(status, body) {
    if (body && body.error && typeof body.error === 'object') {
      return {
        status, code: String(body.error.code || 'internal_error'),
        message: String(body.error.message || ''), requestId: String(body.error.request_id || ''),
      };
    }
    if (status === 0) return { status, code: 'network_error', message: '', requestId: '' };
    if (status === 413) return { status, code: 'payload_too_large', message: '', requestId: '' };
    return { status, code: 'bad_response', message: `HTTP ${status}`, requestId: '' };
  }

  function errorText(error) {
    const label = ERROR_LABELS[error.code] || error.code;
    return error.message ? `${label}: ${error.message}` : label;
  }

  async function recognizeItem(item, mode) {
    item.status = 'uploading';
    item.progress = 0;
    item.error = null;
    updateCard(item);
    if (item.id === state.selectedId) renderDetail();
    const started = performance.now();
    const { status, body } = await postImage(item, mode, (phase, fraction) => {
      item.status = phase;
      item.progress = phase === 'processing' ? 1 : fraction;
      updateCard(item);
    });
    item.roundTripMs = Math.round(performance.now() - started);
    item.mode = mode;
    if (status === 200 && body && body.success === true && Array.isArray(body.lines)) {
      item.status = 'done';
      item.result = body;
      item.lines = body.lines.map((line) => ({
        text: String(line.text), original: String(line.text),
        confidence: Number(line.confidence), box: Array.isArray(line.box) ? line.box.map(Number) : null,
      }));
      if (body.model) showModel(body.model);
    } else {
      item.status = 'error';
      item.result = null;
      item.lines = [];
      item.error = toError(status, body);
    }
    updateCard(item);
    refreshControls();
    if (item.id === state.selectedId) renderDetail();
  }

  async function recognizeAll() {
    const mode = el.mode.value;
    const todo = state.items.filter((it) => it.status !== 'done' || it.mode !== mode);
    if (!todo.length || state.running) return;
    state.running = true;
    refreshControls();
    for (const item of todo) { item.status = 'pending'; item.progress = 0; updateCard(item); }
    const queue = todo.slice();
    const worker = async () => {
      while (queue.length) {
        const item = queue.shift();
        if (state.items.includes(item)) await recognizeItem(item, mode);
      }
    };
    await Promise.all(Array.from({ length: MAX_PARALLEL_UPLOADS }, worker));
    state.running = false;
    refreshControls();
  }

  function showModel(model) {
    const parts = [model.name, model.version].filter(Boolean).map(String);
    if (model.quantized === true && !parts.some((p) => p.includes('int8'))) parts.push('int8');
    el.modelInfo.textContent = `模型 / model: ${parts.join(' ')}`;
  }

  /* ---------- detail view ---------- */

  function renderDetail() {
    const item = selectedItem();
    el.empty.hidden = item !== null;
    el.detail.hidden = item === null;
    if (!item) return;
    el.name.textContent = item.name;
    if (item.status === 'done') {
      const r = item.result;
      let t = `服务器 / server ${r.time_ms} ms · 往返 / round trip ${item.roundTripMs} ms`;
      if (r.cached) t += ' · 缓存 / cached';
      t += ` · 模式 / mode ${item.mode}`;
      el.timing.textContent = t;
      const stages = r.timings || {};
      el.timing.title = ['decode_ms', 'preprocess_ms', 'inference_ms']
        .filter((k) => typeof stages[k] === 'number').map((k) => `${k}: ${stages[k]}`).join('\n');
    } else {
      el.timing.textContent = STATUS_LABELS[item.status];
      el.timing.title = '';
    }
    el.error.hidden = !item.error;
    el.error.textContent = item.error ? errorText(item.error) + (item.error.requestId ? ` (request ${item.error.requestId})` : '') : '';
    el.linesPanel.hidden = item.status !== 'done';
    showViewer(item);
    if (el.viewerImg.dataset.itemId !== String(item.id)) {
      el.viewerImg.dataset.itemId = String(item.id);
      el.boxLayer.replaceChildren();
      el.viewerImg.src = item.url; // 'load' draws boxes and the preview, 'error' hides them
    } else if (el.viewerImg.complete && el.viewerImg.naturalWidth) {
      drawBoxes(item);
      renderPreview(item, true);
    }
    renderLines(item);
  }

  /* The image, its boxes and the preview are shown only when the browser can display the file
   * (a .txt has nothing to show; TIFF is accepted by the server but not shown by most browsers). */
  function showViewer(item) {
    el.viewerWrap.hidden = item.displayable === false && item.status === 'error';
    el.viewerImg.hidden = item.displayable === false;
    el.previewPanel.hidden = item.displayable !== true;
    el.viewerNote.hidden = item.displayable !== false || item.status === 'error';
    el.viewerNote.textContent = '浏览器无法显示此文件，识别结果仍会列出 / The browser cannot display this file; results are still listed.';
  }

  function drawBoxes(item) {
    const img = el.viewerImg;
    el.boxLayer.replaceChildren();
    if (!img.naturalWidth || !img.naturalHeight) return;
    // Boxes are in the server's upright image coordinates; the browser also applies EXIF.
    const size = item.result && item.result.image;
    const w = size && size.width > 0 ? size.width : img.naturalWidth;
    const h = size && size.height > 0 ? size.height : img.naturalHeight;
    item.lines.forEach((line, i) => {
      if (!line.box || line.box.length !== 4) return;
      const [x0, y0, x1, y1] = line.box;
      const box = document.createElement('div');
      box.className = 'box';
      box.dataset.index = String(i);
      box.style.left = `${(100 * x0) / w}%`;
      box.style.top = `${(100 * y0) / h}%`;
      box.style.width = `${(100 * (x1 - x0)) / w}%`;
      box.style.height = `${(100 * (y1 - y0)) / h}%`;
      const tag = document.createElement('span');
      tag.className = 'box-num';
      tag.textContent = String(i + 1);
      box.appendChild(tag);
      box.addEventListener('mouseenter', () => highlight(i, true));
      box.addEventListener('mouseleave', () => highlight(i, false));
      box.addEventListener('click', () => {
        const text = el.lines.querySelector(`li[data-index="${i}"] .line-text`);
        if (text) text.focus();
      });
      el.boxLayer.appendChild(box);
    });
  }

  function highlight(index, on) {
    const box = el.boxLayer.querySelector(`.box[data-index="${index}"]`);
    const row = el.lines.querySelector(`li[data-index="${index}"]`);
    if (box) box.classList.toggle('hot', on);
    if (row) row.classList.toggle('hot', on);
  }

  function confidenceClass(c) {
    if (c >= 0.9) return 'conf-high';
    if (c >= 0.6) return 'conf-mid';
    return 'conf-low';
  }

  function renderLines(item) {
    el.lines.replaceChildren();
    el.lineCount.textContent = String(item.lines.length);
    const hasLines = item.lines.length > 0;
    for (const b of [el.copyAll, el.exportTxt, el.exportJson, el.exportCsv]) b.disabled = !hasLines;
    if (item.status === 'done' && !hasLines) {
      const li = document.createElement('li');
      li.className = 'no-lines';
      li.textContent = '未检测到文字 / No text found';
      el.lines.appendChild(li);
      return;
    }
    item.lines.forEach((line, i) => {
      const li = document.createElement('li');
      li.className = 'line';
      li.dataset.index = String(i);
      const num = document.createElement('span');
      num.className = 'line-num';
      num.textContent = String(i + 1);
      const text = document.createElement('span');
      text.className = 'line-text';
      try {
        text.contentEditable = 'plaintext-only';
      } catch (_) {
        text.contentEditable = 'true'; // browsers without plaintext-only; text is still read as textContent
      }
      text.spellcheck = false;
      text.textContent = line.text;
      text.setAttribute('aria-label', `第 ${i + 1} 行 / line ${i + 1}`);
      text.addEventListener('input', () => {
        line.text = text.textContent.replace(/[\r\n]+/g, ' ');
        li.classList.toggle('edited', line.text !== line.original);
      });
      text.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); text.blur(); } });
      const conf = document.createElement('span');
      conf.className = `line-conf ${confidenceClass(line.confidence)}`;
      conf.textContent = `${(line.confidence * 100).toFixed(1)}%`;
      conf.title = '置信度 / confidence';
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'btn tiny line-copy';
      copy.textContent = '复制 / Copy';
      copy.addEventListener('click', () => copyText(line.text));
      li.append(num, text, conf, copy);
      li.addEventListener('mouseenter', () => highlight(i, true));
      li.addEventListener('mouseleave', () => highlight(i, false));
      el.lines.appendChild(li);
    });
  }

  /* ---------- clipboard ---------- */

  async function copyText(text) {
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); ok = true; } catch (_) { ok = false; }
    }
    if (!ok) ok = copyWithSelection(text);
    toast(ok ? '已复制 / Copied' : '复制失败，请手动复制 / Copy failed, please copy manually');
  }

  function copyWithSelection(text) {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    area.remove();
    return ok;
  }

  let toastTimer = null;
  function toast(message) {
    el.toast.textContent = message;
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.toast.hidden = true; }, 2000);
  }

  /* ---------- exports ---------- */

  function baseName(name) {
    const stem = name.replace(/\.[^./\\]*$/, '');
    const safe = stem.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+/, '').trim();
    return safe.slice(0, 120) || 'image';
  }

  function itemText(item) {
    return item.lines.map((l) => l.text).join('\n') + (item.lines.length ? '\n' : '');
  }

  function itemJson(item) {
    if (item.status !== 'done') {
      return { file: item.name, success: false, error: item.error && {
        code: item.error.code, message: item.error.message, request_id: item.error.requestId, status: item.error.status } };
    }
    const r = item.result;
    return {
      file: item.name, success: true, mode: item.mode, time_ms: r.time_ms,
      round_trip_ms: item.roundTripMs, md5: r.md5, cached: r.cached, model: r.model,
      timings: r.timings, text: item.lines.map((l) => l.text),
      lines: item.lines.map((l) => ({
        text: l.text, confidence: l.confidence, box: l.box, edited: l.text !== l.original,
      })),
    };
  }

  function csvField(value) {
    let s = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // keep spreadsheets from evaluating formulas
    return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  function csvRows(items) {
    const rows = [['file', 'line', 'text', 'confidence', 'x0', 'y0', 'x1', 'y1']];
    for (const item of items) {
      item.lines.forEach((l, i) => {
        const box = l.box || ['', '', '', ''];
        rows.push([item.name, i + 1, l.text, l.confidence.toFixed(4), ...box]);
      });
    }
    return '\ufeff' + rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function exportCurrent(kind) {
    const item = selectedItem();
    if (!item || item.status !== 'done') return;
    const base = baseName(item.name);
    if (kind === 'txt') download(new Blob([itemText(item)], { type: 'text/plain;charset=utf-8' }), `${base}.txt`);
    if (kind === 'json') download(new Blob([JSON.stringify(itemJson(item), null, 2)], { type: 'application/json' }), `${base}.json`);
    if (kind === 'csv') download(new Blob([csvRows([item])], { type: 'text/csv;charset=utf-8' }), `${base}.csv`);
  }

  function exportZip() {
    const finished = state.items.filter((it) => it.status === 'done' || it.status === 'error');
    if (!finished.length) return;
    const enc = new TextEncoder();
    const used = new Set();
    const entries = [];
    for (const item of finished) {
      let base = baseName(item.name);
      for (let n = 2; used.has(base); n++) base = `${baseName(item.name)}-${n}`;
      used.add(base);
      if (item.status === 'done') entries.push({ name: `${base}.txt`, data: enc.encode(itemText(item)) });
      entries.push({ name: `${base}.json`, data: enc.encode(JSON.stringify(itemJson(item), null, 2)) });
    }
    entries.push({ name: 'results.csv', data: enc.encode(csvRows(finished.filter((it) => it.status === 'done'))) });
    entries.push({ name: 'summary.json', data: enc.encode(JSON.stringify(finished.map(itemJson), null, 2)) });
    download(buildZip(entries, new Date()), 'ocr-results.zip');
  }

  /* A ZIP archive with STORE (no compression): local headers, data, central directory, end record.
   * Names are UTF-8 (general-purpose flag bit 11), so Chinese file names survive. */
  const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function buildZip(entries, date) {
    const enc = new TextEncoder();
    const dosTime = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
    const dosDate = ((Math.max(date.getFullYear(), 1980) - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
    const parts = [];
    const central = [];
    let offset = 0;
    for (const entry of entries) {
      const name = enc.encode(entry.name);
      const crc = crc32(entry.data);
      const size = entry.data.length;
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true);
      local.setUint16(4, 20, true);      // version needed: 2.0
      local.setUint16(6, 0x0800, true);  // flags: UTF-8 names
      local.setUint16(8, 0, true);       // method: store
      local.setUint16(10, dosTime, true);
      local.setUint16(12, dosDate, true);
      local.setUint32(14, crc, true);
      local.setUint32(18, size, true);
      local.setUint32(22, size, true);
      local.setUint16(26, name.length, true);
      local.setUint16(28, 0, true);
      parts.push(local, name, entry.data);
      const cd = new DataView(new ArrayBuffer(46));
      cd.setUint32(0, 0x02014b50, true);
      cd.setUint16(4, 20, true);
      cd.setUint16(6, 20, true);
      cd.setUint16(8, 0x0800, true);
      cd.setUint16(10, 0, true);
      cd.setUint16(12, dosTime, true);
      cd.setUint16(14, dosDate, true);
      cd.setUint32(16, crc, true);
      cd.setUint32(20, size, true);
      cd.setUint32(24, size, true);
      cd.setUint16(28, name.length, true);
      cd.setUint32(38, 0, true);         // external attributes
      cd.setUint32(42, offset, true);    // offset of the local header
      central.push(cd, name);
      offset += 30 + name.length + size;
    }
    const centralSize = central.reduce((s, p) => s + p.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, entries.length, true);
    end.setUint16(10, entries.length, true);
    end.setUint32(12, centralSize, true);
    end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end], { type: 'application/zip' });
  }

  /* ---------- preprocessing preview (browser-side approximation of preprocess/) ---------- */

  const preview = { itemId: null, width: 0, height: 0, gray: null, equalized: null };

  function toGray(imageData) {
    const { data, width, height } = imageData;
    const gray = new Uint8ClampedArray(width * height);
    for (let i = 0, p = 0; p < gray.length; i += 4, p++) {
      gray[p] = (data[i] * 299 + data[i + 1] * 587 + data[i + 2] * 114 + 500) / 1000;
    }
    return gray;
  }

  function equalize(gray) {
    const hist = new Uint32Array(256);
    for (let i = 0; i < gray.length; i++) hist[gray[i]]++;
    let cdfMin = 0;
    const cdf = new Uint32Array(256);
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v];
      cdf[v] = acc;
      if (!cdfMin && acc) cdfMin = acc;
    }
    const out = new Uint8ClampedArray(gray.length);
    const denom = gray.length - cdfMin;
    if (denom <= 0) { out.set(gray); return out; }
    const lut = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; v++) lut[v] = Math.round(((cdf[v] - cdfMin) * 255) / denom);
    for (let i = 0; i < gray.length; i++) out[i] = lut[gray[i]];
    return out;
  }

  function gaussianKernel(size) {
    const sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8; // OpenCV's default for a given size
    const half = (size - 1) / 2;
    const k = new Float32Array(size);
    let sum = 0;
    for (let i = 0; i < size; i++) { k[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)); sum += k[i]; }
    for (let i = 0; i < size; i++) k[i] /= sum;
    return k;
  }

  function gaussianBlur(src, width, height, size) {
    const k = gaussianKernel(size);
    const half = (size - 1) / 2;
    const tmp = new Float32Array(src.length);
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let j = 0; j < size; j++) {
          const xx = Math.min(width - 1, Math.max(0, x + j - half));
          s += k[j] * src[row + xx];
        }
        tmp[row + x] = s;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let j = 0; j < size; j++) {
          const yy = Math.min(height - 1, Math.max(0, y + j - half));
          s += k[j] * tmp[yy * width + x];
        }
        out[y * width + x] = s;
      }
    }
    return out;
  }

  /* Gaussian adaptive threshold after a 3x3 blur, as preprocess.enhance.adaptive_threshold does:
   * with ramp 0 a step (255 where pixel > local mean - C, cv2.adaptiveThreshold), otherwise a
   * linear ramp `ramp` grey levels wide centred on that threshold. */
  function adaptiveThreshold(gray, width, height, blockSize, c, ramp = 0) {
    const smooth = gaussianBlur(gray, width, height, 3);
    const mean = gaussianBlur(smooth, width, height, blockSize);
    const out = new Uint8ClampedArray(gray.length);
    for (let i = 0; i < gray.length; i++) {
      const level = Math.round(smooth[i]);
      out[i] = ramp > 0 ? 127.5 + ((level - mean[i] + c) * 255) / ramp : (level > mean[i] - c ? 255 : 0);
    }
    return out;
  }

  function putGray(canvas, gray, width, height) {
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(width, height);
    for (let i = 0, p = 0; p < gray.length; i += 4, p++) {
      img.data[i] = img.data[i + 1] = img.data[i + 2] = gray[p];
      img.data[i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function grayOf(source, sx, sy, sw, sh, width, height) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(source, sx, sy, sw, sh, 0, 0, width, height);
    return toGray(ctx.getImageData(0, 0, width, height));
  }

  function previewParams() {
    return { block: Number(el.blockSlider.value), c: Number(el.cSlider.value) };
  }

  /* The page view and the line crops; the sliders and stage buttons redraw only the page view,
   * since the crops always use the server's line threshold (CROP_THRESHOLD). */
  function renderPreview(item, reuse) {
    if (renderPageView(item, reuse)) renderCrops(item);
  }

  function renderPageView(item, reuse) {
    const img = el.viewerImg;
    if (!img.naturalWidth) return false;
    if (!reuse || preview.itemId !== item.id) {
      const scale = Math.min(1, PREVIEW_MAX_SIDE_PX / Math.max(img.naturalWidth, img.naturalHeight));
      preview.width = Math.max(1, Math.round(img.naturalWidth * scale));
      preview.height = Math.max(1, Math.round(img.naturalHeight * scale));
      preview.gray = grayOf(img, 0, 0, img.naturalWidth, img.naturalHeight, preview.width, preview.height);
      preview.equalized = equalize(preview.gray);
      preview.itemId = item.id;
    }
    const stage = document.querySelector('input[name="preview-stage"]:checked').value;
    const { block, c } = previewParams();
    let shown = preview.gray;
    if (stage === 'equalized') shown = preview.equalized;
    if (stage === 'binary') shown = adaptiveThreshold(preview.equalized, preview.width, preview.height, block, c);
    putGray(el.previewCanvas, shown, preview.width, preview.height);
    el.previewCanvas.dataset.stage = stage;
    return true;
  }

  function renderCrops(item) {
    const img = el.viewerImg;
    el.crops.replaceChildren();
    item.lines.forEach((line, i) => {
      if (!line.box) return;
      const [x0, y0, x1, y1] = line.box;
      const sw = x1 - x0;
      const sh = y1 - y0;
      if (sw < 2 || sh < 2) return;
      const tw = Math.max(4, Math.min(CROP_MAX_WIDTH_PX * 2, Math.round((sw * CROP_THRESHOLD_HEIGHT_PX) / sh)));
      const { denoise, block, c, ramp } = CROP_THRESHOLD;
      const raw = grayOf(img, x0, y0, sw, sh, tw, CROP_THRESHOLD_HEIGHT_PX);
      const tall = equalize(Uint8ClampedArray.from(gaussianBlur(raw, tw, CROP_THRESHOLD_HEIGHT_PX, denoise)));
      const binary = document.createElement('canvas');
      putGray(binary, adaptiveThreshold(tall, tw, CROP_THRESHOLD_HEIGHT_PX, block, c, ramp), tw, CROP_THRESHOLD_HEIGHT_PX);
      const crop = document.createElement('canvas');
      crop.className = 'crop';
      crop.width = Math.max(4, Math.min(CROP_MAX_WIDTH_PX, Math.round(tw / 2)));
      crop.height = CROP_HEIGHT_PX;
      const ctx = crop.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(binary, 0, 0, crop.width, crop.height);
      const fig = document.createElement('figure');
      const cap = document.createElement('figcaption');
      cap.textContent = String(i + 1);
      fig.append(cap, crop);
      el.crops.appendChild(fig);
    });
    el.cropsTitle.hidden = el.crops.childElementCount === 0;
  }

  let previewFrame = 0;
  function schedulePreview() {
    el.blockValue.textContent = el.blockSlider.value;
    el.cValue.textContent = el.cSlider.value;
    cancelAnimationFrame(previewFrame);
    previewFrame = requestAnimationFrame(() => {
      const item = selectedItem();
      if (item) renderPageView(item, true);
    });
  }

  /* ---------- wiring ---------- */

  el.viewerImg.addEventListener('load', () => {
    const item = selectedItem();
    if (!item || el.viewerImg.dataset.itemId !== String(item.id)) return;
    item.displayable = true;
    showViewer(item);
    drawBoxes(item);
    renderPreview(item, false);
  });
  el.viewerImg.addEventListener('error', () => {
    const item = selectedItem();
    if (!item || el.viewerImg.dataset.itemId !== String(item.id)) return;
    item.displayable = false;
    el.boxLayer.replaceChildren();
    el.crops.replaceChildren();
    el.cropsTitle.hidden = true;
    showViewer(item);
  });

  el.fileInput.addEventListener('change', () => { addFiles(el.fileInput.files); el.fileInput.value = ''; });
  el.dropzone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); el.fileInput.click(); }
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); el.dropzone.classList.add('dragging'); });
  document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) el.dropzone.classList.remove('dragging'); });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    el.dropzone.classList.remove('dragging');
    if (e.dataTransfer) addFiles(e.dataTransfer.files);
  });
  document.addEventListener('paste', (e) => {
    const target = e.target;
    if (target && target.isContentEditable) return; // pasting text into a line edits it
    const files = pastedFiles(e);
    if (files.length) { e.preventDefault(); addFiles(files); }
  });

  el.recognize.addEventListener('click', recognizeAll);
  el.clear.addEventListener('click', clearAll);
  el.copyAll.addEventListener('click', () => { const it = selectedItem(); if (it) copyText(itemText(it).replace(/\n$/, '')); });
  el.exportTxt.addEventListener('click', () => exportCurrent('txt'));
  el.exportJson.addEventListener('click', () => exportCurrent('json'));
  el.exportCsv.addEventListener('click', () => exportCurrent('csv'));
  el.exportZip.addEventListener('click', exportZip);
  el.blockSlider.addEventListener('input', schedulePreview);
  el.cSlider.addEventListener('input', schedulePreview);
  for (const radio of document.querySelectorAll('input[name="preview-stage"]')) radio.addEventListener('change', schedulePreview);

  refreshControls();
  renderDetail();
})();
