// glassnet playground page: the controls send settings over one WebSocket; the server trains
// with glassnet and sends back pictures, which are drawn here on canvases by hand.
"use strict";

const DATASETS = {
  classification: [["circle", "circle"], ["xor", "XOR"], ["gauss", "Gaussian blobs"],
    ["spiral", "spiral"], ["iris", "iris (PCA 2-D)"], ["wine", "wine (PCA 2-D)"],
    ["breast_cancer", "breast cancer (PCA 2-D)"]],
  regression: [["plane", "regression plane"], ["multi_gauss", "multi-Gaussian"]],
};
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [90, 170, 90], [200, 60, 160],
  [120, 120, 120], [230, 200, 40], [60, 200, 200], [150, 80, 40], [20, 20, 120], [200, 0, 0]];

const state = {
  hidden: [4, 2], features: ["x1", "x2"], playing: false, csvLoaded: false,
  history: [], points: null, last: null, lastFeatures: [],
};
const $ = (id) => document.getElementById(id);
let socket = null;

// ------------------------------------------------------------------ colours
function diverging(v) {
  // -1 orange, 0 white, +1 blue (TensorFlow Playground's colours)
  v = Math.max(-1, Math.min(1, v || 0));
  const a = v < 0 ? [245, 147, 34] : [8, 119, 189];
  const t = Math.abs(v);
  return [255 + (a[0] - 255) * t, 255 + (a[1] - 255) * t, 255 + (a[2] - 255) * t];
}

function paintGrid(ctx, n, colorAt, x0, y0, size) {
  const img = ctx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const c = colorAt(i);
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  const off = document.createElement("canvas");
  off.width = n; off.height = n;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, x0, y0, size, size);
}

function scaled(values) {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v || 0));
  return (i) => diverging(m > 0 ? values[i] / m : 0);
}

// ------------------------------------------------------------------ settings
function config() {
  return {
    dataset: $("dataset").value,
    problem: $("problem").value,
    noise: Number($("noise").value) / 100,
    train_ratio: Number($("train_ratio").value) / 100,
    batch_size: Number($("batch_size").value),
    features: state.features.slice(),
    hidden: state.hidden.slice(),
    activation: $("activation").value,
    learning_rate: Number($("learning_rate").value),
    optimizer: $("optimizer").value,
    regularization: $("regularization").value,
    reg_rate: Number($("reg_rate").value),
    batch_norm: $("batch_norm").checked,
    dropout: Number($("dropout").value),
    seed: Number($("seed").value) || 0,
    grid: 40,
  };
}

function send(msg) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg));
}

function rebuild() {
  setPlaying(false);
  hideError();
  send({ type: "config", config: config() });
}

function fillDatasets() {
  const sel = $("dataset");
  const keep = sel.value;
  sel.innerHTML = "";
  const sets = DATASETS[$("problem").value].slice();
  if (state.csvLoaded) sets.push(["csv", "your CSV"]);
  for (const [value, label] of sets) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label;
    sel.appendChild(o);
  }
  if (sets.some((s) => s[0] === keep)) sel.value = keep;
}

function setPlaying(on) {
  state.playing = on;
  $("play").innerHTML = on ? "&#x275a;&#x275a; pause" : "&#x25b6; play";
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = false;
}
function hideError() { $("error").hidden = true; }

// ------------------------------------------------------------------ layer and feature controls
function drawLayerButtons() {
  $("layer-count").textContent = state.hidden.length;
  const box = $("layer-buttons");
  box.innerHTML = "";
  state.hidden.forEach((n, i) => {
    const d = document.createElement("div");
    d.className = "layer";
    const plus = document.createElement("button");
    plus.textContent = "+"; plus.className = "add-neuron";
    plus.onclick = () => { state.hidden[i] = Math.min(16, n + 1); drawLayerButtons(); rebuild(); };
    const minus = document.createElement("button");
    minus.innerHTML = "&minus;"; minus.className = "remove-neuron";
    minus.onclick = () => { state.hidden[i] = Math.max(1, n - 1); drawLayerButtons(); rebuild(); };
    d.append(plus, minus, document.createElement("br"), `${n} neurons`);
    box.appendChild(d);
  });
}

function drawFeatureControls() {
  const box = $("features");
  box.innerHTML = "";
  for (const f of FEATURES) {
    const row = document.createElement("label");
    row.className = "feature";
    const cb = document.createElement("input");
    cb.type = "checkbox"; cb.value = f; cb.checked = state.features.includes(f);
    cb.onchange = () => {
      state.features = FEATURES.filter((g) => g === f ? cb.checked : state.features.includes(g));
      rebuild();
    };
    row.append(cb, f);
    box.appendChild(row);
  }
}

// ------------------------------------------------------------------ drawing
function pointColor(v) {
  if (!state.points) return [0, 0, 0];
  if (state.points.classification) {
    if (state.points.nClasses <= 2) return v >= 1 ? [8, 119, 189] : [245, 147, 34];
    return CLASS_COLORS[v % CLASS_COLORS.length];
  }
  return diverging(v);
}

function outputColors(h) {
  if (h.kind === "classes") {
    return (i) => {
      const k = CLASS_COLORS[h.values[i] % CLASS_COLORS.length], t = (h.confidence[i] || 0) * 0.7;
      return [255 + (k[0] - 255) * t, 255 + (k[1] - 255) * t, 255 + (k[2] - 255) * t];
    };
  }
  return (i) => diverging(h.values[i]);
}

function drawHeatmap(u) {
  const c = $("heatmap"), ctx = c.getContext("2d");
  paintGrid(ctx, u.grid, outputColors(u.heatmap), 0, 0, c.width);
  if (!state.points) return;
  const view = state.points.view;
  const toPx = (x) => (x + view) / (2 * view) * c.width;
  const sets = [["train", "#fff"]];
  if ($("show-test").checked) sets.push(["test", "#000"]);
  for (const [name, stroke] of sets) {
    for (const p of state.points[name]) {
      const col = pointColor(p[2]);
      ctx.beginPath();
      ctx.arc(toPx(p[0]), c.height - toPx(p[1]), 3, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${col[0]},${col[1]},${col[2]})`;
      ctx.fill();
      ctx.strokeStyle = stroke;
      ctx.stroke();
    }
  }
}

function drawNetwork(u) {
  const c = $("network"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const columns = [u.inputs].concat(u.neurons);
  const nCols = columns.length + 1;
  const box = 30, gapX = (c.width - box - 20) / Math.max(1, nCols - 1);
  const pos = columns.map((col, j) => col.map((_, i) => [10 + j * gapX, 10 + i * (box + 14)]));
  pos.push([[10 + (nCols - 1) * gapX, 10]]);
  // weights: lines, width by size, colour by sign
  u.weights.forEach((w, l) => {
    w.forEach((row, o) => row.forEach((v, i) => {
      const a = pos[l][i], b = pos[l + 1][o];
      if (!a || !b) return;
      const col = diverging(v > 0 ? 1 : -1);
      ctx.strokeStyle = `rgba(${col[0]},${col[1]},${col[2]},0.8)`;
      ctx.lineWidth = Math.min(6, 0.4 + Math.abs(v) * 2);
      ctx.beginPath();
      ctx.moveTo(a[0] + box, a[1] + box / 2);
      ctx.lineTo(b[0], b[1] + box / 2);
      ctx.stroke();
    }));
  });
  // each input feature and neuron as its own small heat map
  columns.forEach((col, j) => col.forEach((values, i) => {
    const [x, y] = pos[j][i];
    paintGrid(ctx, u.neuron_grid, scaled(values), x, y, box);
    ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
    ctx.strokeRect(x, y, box, box);
    if (j === 0) {
      ctx.fillStyle = "#333"; ctx.font = "10px sans-serif";
      ctx.fillText(state.lastFeatures[i] || "", x, y + box + 10);
    }
  }));
  const [ox, oy] = pos[pos.length - 1][0];
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText("output", ox - 6, oy + box + 12);
  paintGrid(ctx, u.grid, outputColors(u.heatmap), ox, oy, box);
  ctx.strokeRect(ox, oy, box, box);
}

function drawLossChart() {
  const c = $("loss-chart"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const h = state.history.filter((p) => p[1] !== null && isFinite(p[1]));
  if (h.length < 2) return;
  let top = 0;
  for (const p of h) top = Math.max(top, p[1], p[2] === null ? 0 : p[2]);
  const last = h[h.length - 1][0] || 1;
  const xy = (s, v) => [s / last * c.width, c.height - 2 - (v / (top || 1)) * (c.height - 4)];
  for (const [k, colour] of [[1, "#999"], [2, "#000"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    h.forEach((p, i) => {
      if (p[k] === null) return;
      const [x, y] = xy(p[0], p[k]);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

function drawGrads(u) {
  const c = $("grads"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const g = u.grad_norms;
  let top = 0;
  for (const b of g) top = Math.max(top, b.norm || 0);
  const w = c.width / Math.max(1, g.length);
  ctx.font = "11px sans-serif";
  g.forEach((b, i) => {
    const h = top > 0 ? (b.norm || 0) / top * (c.height - 30) : 0;
    ctx.fillStyle = "#0877bd";
    ctx.fillRect(i * w + 8, c.height - 16 - h, w - 16, h);
    ctx.fillStyle = "#333";
    ctx.fillText(`${b.layer}: ${(b.norm || 0).toExponential(1)}`, i * w + 8, c.height - 3);
  });
}

function drawFindings(u) {
  const ul = $("findings");
  ul.innerHTML = "";
  if (!u.findings.length) {
    const li = document.createElement("li");
    li.className = "small";
    li.textContent = u.doctor_step
      ? `no findings at step ${u.doctor_step} (the doctor looks every 100 steps)`
      : "no findings yet (the doctor looks every 100 steps)";
    ul.appendChild(li);
  }
  for (const f of u.findings) {
    const li = document.createElement("li");
    const b = document.createElement("b");
    b.textContent = f.title + (f.layer ? ` (layer ${f.layer})` : "");
    li.append(b, document.createElement("br"), f.seen || "");
    if (f.remedy) li.append(document.createElement("br"), "fix: " + f.remedy);
    ul.appendChild(li);
  }
}

function fmt(v) {
  if (v === null || v === undefined) return "NaN";
  return v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
}

function onUpdate(u) {
  state.last = u;
  const prev = state.history[state.history.length - 1];
  if (!prev || prev[0] !== u.step) state.history.push([u.step, u.train_loss, u.test_loss]);
  $("step-count").textContent = u.step;
  $("test-loss").textContent = fmt(u.test_loss);
  $("train-loss").textContent = fmt(u.train_loss);
  drawHeatmap(u);
  drawNetwork(u);
  drawLossChart();
  drawGrads(u);
  drawFindings(u);
  if (!u.playing && state.playing && u.train_loss === null) setPlaying(false);
}

// ------------------------------------------------------------------ socket
function connect() {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.onopen = () => rebuild();
  socket.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "data") {
      const labels = m.train.concat(m.test).map((p) => p[2]);
      state.points = m;
      state.points.nClasses = m.classification ? Math.max(...labels) + 1 : 0;
      state.history = [];
      state.lastFeatures = state.features.slice();
    } else if (m.type === "update") {
      onUpdate(m);
    } else if (m.type === "error") {
      setPlaying(false);
      showError(m.message);
    } else if (m.type === "csv") {
      state.csvLoaded = true;
      $("csv-status").textContent = `${m.rows} rows read`;
      fillDatasets();
      $("dataset").value = "csv";
      rebuild();
    } else if (m.type === "export") {
      $("export-panel").hidden = false;
      $("export-code").value = m.code;
      $("export-download").href = URL.createObjectURL(new Blob([m.code], { type: "text/x-python" }));
    }
  };
  socket.onclose = () => showError("the connection to the playground server closed; reload the page");
}

// ------------------------------------------------------------------ presets from the address
// /?dataset=xor&hidden=4,2&activation=relu&features=x1,x2 opens the page on those settings
// (glassnet.playground.preset_url writes such addresses, e.g. for the lessons).
function applyPreset() {
  const q = new URLSearchParams(location.search);
  const set = (id, value) => { if (value !== null) $(id).value = value; };
  set("problem", q.get("problem"));
  fillDatasets();
  set("dataset", q.get("dataset"));
  for (const id of ["activation", "learning_rate", "optimizer", "regularization", "reg_rate",
    "dropout", "seed"]) set(id, q.get(id));
  if (q.get("batch_norm") !== null) $("batch_norm").checked = q.get("batch_norm") === "true";
  const slider = (id, value, scale) => {
    if (value === null) return;
    $(id).value = Math.round(Number(value) * scale);
    $(`${id}-value`).textContent = $(id).value;
  };
  slider("train_ratio", q.get("train_ratio"), 100);
  slider("noise", q.get("noise"), 100);
  slider("batch_size", q.get("batch_size"), 1);
  if (q.get("hidden") !== null) {
    state.hidden = q.get("hidden") === "" ? [] : q.get("hidden").split(",").map(Number);
  }
  if (q.get("features") !== null) {
    const wanted = q.get("features").split(",");
    state.features = FEATURES.filter((f) => wanted.includes(f));
  }
}

// ------------------------------------------------------------------ wiring
function init() {
  fillDatasets();
  applyPreset();
  drawLayerButtons();
  drawFeatureControls();
  for (const id of ["dataset", "activation", "learning_rate", "optimizer", "regularization",
    "reg_rate", "batch_norm", "dropout", "seed"]) {
    $(id).addEventListener("change", rebuild);
  }
  $("problem").addEventListener("change", () => { fillDatasets(); rebuild(); });
  for (const id of ["train_ratio", "noise", "batch_size"]) {
    $(id).addEventListener("input", () => { $(`${id}-value`).textContent = $(id).value; });
    $(id).addEventListener("change", rebuild);
  }
  $("show-test").addEventListener("change", () => state.last && drawHeatmap(state.last));
  $("play").onclick = () => {
    setPlaying(!state.playing);
    if (state.playing) hideError();
    send({ type: state.playing ? "play" : "pause" });
  };
  $("step").onclick = () => { setPlaying(false); send({ type: "pause" }); send({ type: "step", n: 1 }); };
  $("reset").onclick = () => { setPlaying(false); hideError(); send({ type: "reset" }); };
  $("add-layer").onclick = () => {
    if (state.hidden.length < 6) state.hidden.push(4);
    drawLayerButtons(); rebuild();
  };
  $("remove-layer").onclick = () => { state.hidden.pop(); drawLayerButtons(); rebuild(); };
  $("export").onclick = () => send({ type: "export" });
  $("csv-file").addEventListener("change", async () => {
    const file = $("csv-file").files[0];
    if (!file) return;
    hideError();
    send({ type: "csv", text: await file.text(), problem: $("problem").value });
  });
  connect();
}

init();
