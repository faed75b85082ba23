// The page of `nn playground`: controls that send commands, and drawings of the frames the
// server streams (its network is trained by the nn library, not here).
"use strict";

const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const FEATURES = [
  ["x", "x1", "X\u2081"], ["y", "x2", "X\u2082"], ["xSquared", "x1_squared", "X\u2081\u00B2"],
  ["ySquared", "x2_squared", "X\u2082\u00B2"], ["xTimesY", "x1_x2", "X\u2081X\u2082"],
  ["sinX", "sin_x1", "sin(X\u2081)"], ["sinY", "sin_x2", "sin(X\u2082)"],
];
const CLASS_SETS = [["circle", "Circle"], ["xor", "Exclusive or"], ["gauss", "Gaussian"], ["spiral", "Spiral"]];
const REG_SETS = [["reg-plane", "Plane"], ["reg-gauss", "Multi Gaussian"]];
const PALETTE = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const NEURON = 40, MAX_LAYERS = 6, MAX_NEURONS = 8;

const view = { state: null, frame: null, data: null, dataVersion: -1, params: new Map(), hover: null };
window.playground = view; // for the browser test and the curious

// --- colours: the original's scale, orange (−1) to grey (0) to blue (+1), in 31 shades
function hex(c) { return [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)); }
const NEG = hex("#f59322"), MID = hex("#e8eaeb"), POS = hex("#0877bd");
const SCALE = [];
for (let b = 0; b < 256; b++) {
  const v = Math.round((b / 127.5 - 1) * 15) / 15; // 31 shades
  const [from, to, t] = v < 0 ? [MID, NEG, -v] : [MID, POS, v];
  SCALE.push(from.map((f, i) => Math.round(f + (to[i] - f) * t)));
}
function valueColour(v) {
  const b = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  const c = SCALE[b];
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function decode(b64) { const s = atob(b64); const a = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; }

// Draws a square map of bytes into a canvas (scaled by the canvas), with winners for classes.
function drawMap(canvas, bytes, winners, discretize) {
  const side = Math.round(Math.sqrt(bytes.length));
  const small = document.createElement("canvas");
  small.width = small.height = side;
  const ctx = small.getContext("2d");
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < bytes.length; i++) {
    let rgb;
    if (winners) {
      const p = discretize ? 1 : bytes[i] / 255;
      const c = hex(PALETTE[winners[i] % PALETTE.length]);
      rgb = MID.map((m, k) => Math.round(m + (c[k] - m) * p));
    } else {
      const b = discretize ? (bytes[i] >= 128 ? 255 : 0) : bytes[i];
      rgb = SCALE[b];
    }
    img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  const out = canvas.getContext("2d");
  out.imageSmoothingEnabled = false;
  out.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// --- the settings, as the URL's hash
function parseQuery(q) {
  const m = new Map();
  for (const pair of q.replace(/^[#?]/, "").split("&")) {
    if (!pair) continue;
    const at = pair.indexOf("=");
    m.set(at < 0 ? pair : pair.slice(0, at), at < 0 ? "" : decodeURIComponent(pair.slice(at + 1)));
  }
  return m;
}
function queryOf(m) { return [...m].map(([k, v]) => `${k}=${v}`).join("&"); }

async function send(command) {
  const response = await fetch("/api/command", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(command),
  });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch (e) { body = { error: text }; }
  if (!response.ok) { showMessage(body.error || text); throw new Error(body.error || text); }
  showMessage("");
  // The answer's settings, so that a second click before the next frame builds on the first.
  if (body.query) view.params = parseQuery(body.query);
  return body;
}
function showMessage(text) { document.getElementById("message").textContent = text || ""; }

// Changes settings: each [key, value] replaces the current one, then the server decides.
function change(...pairs) {
  if (!view.state) return; // before the first frame there are no settings to change
  const m = new Map(view.params);
  for (const [k, v] of pairs) m.set(k, String(v));
  send({ cmd: "settings", query: queryOf(m) }).catch(() => {});
}
function shape() { const s = view.params.get("networkShape") || ""; return s ? s.split(",").map(Number) : []; }
function setShape(layers) { change(["networkShape", layers.join(",")]); }

// --- controls
function fillSelect(id, values, label) {
  const el = document.getElementById(id);
  for (const v of values) { const o = document.createElement("option"); o.value = String(v); o.textContent = label ? label(v) : String(v); el.appendChild(o); }
}
function setupControls() {
  fillSelect("learningRate", LEARNING_RATES);
  fillSelect("regularizationRate", REG_RATES);
  for (const id of ["learningRate", "activation", "regularization", "regularizationRate", "problem", "optimizer", "loss"]) {
    document.getElementById(id).addEventListener("change", e => change([id, e.target.value]));
  }
  for (const id of ["percTrainData", "noise", "batchSize", "classes"]) {
    const el = document.getElementById(id);
    el.addEventListener("input", () => { document.getElementById(id + "-value").textContent = el.value; });
    el.addEventListener("change", () => change([id, el.value]));
  }
  for (const id of ["showTestData", "discretize"]) {
    document.getElementById(id).addEventListener("change", e => change([id, e.target.checked]));
  }
  document.getElementById("speed").addEventListener("change", e => {
    const v = e.target.value;
    send({ cmd: "speed", epochs_per_second: v === "max" ? null : Number(v) }).catch(() => {});
  });
  document.getElementById("play").addEventListener("click", () => send({ cmd: view.state && view.state.playing ? "pause" : "play" }).catch(() => {}));
  document.getElementById("step").addEventListener("click", () => send({ cmd: "step" }).catch(() => {}));
  document.getElementById("reset").addEventListener("click", () => send({ cmd: "reset" }).catch(() => {}));
  document.getElementById("regenerate").addEventListener("click", () => send({ cmd: "regenerate" }).catch(() => {}));
  document.getElementById("add-layer").addEventListener("click", () => { const s = shape(); if (s.length < MAX_LAYERS) setShape([...s, 2]); });
  document.getElementById("remove-layer").addEventListener("click", () => { const s = shape(); if (s.length) setShape(s.slice(0, -1)); });
  document.getElementById("gradcheck").addEventListener("click", gradientCheck);
  document.getElementById("save").addEventListener("click", () => save(false));
}

async function gradientCheck() {
  const out = document.getElementById("gradcheck-result");
  out.textContent = "checking…";
  try {
    const r = await send({ cmd: "gradient_check" });
    out.textContent = `max relative error ${r.max_relative_error.toExponential(2)}, largest difference ${r.max_abs_diff.toExponential(1)}: ${r.passed ? "passed" : "FAILED"}`;
    out.title = "Each tensor passes with a relative error below 1e-7, or with every difference below 1e-9 (the rounding of the finite differences, for gradients near 0)";
    out.dataset.value = r.max_relative_error;
  } catch (e) { out.textContent = ""; }
}

async function save(overwrite) {
  const out = document.getElementById("save-result");
  const name = document.getElementById("save-name").value;
  try {
    const r = await send({ cmd: "save", name, overwrite });
    out.textContent = `saved ${r.path}`;
  } catch (e) {
    if (String(e.message).includes("exists") && confirm(`${e.message}\n\nReplace it?`)) save(true);
  }
}

// --- data set thumbnails (drawn from the rule of each set, as pictures to click)
function setupDatasets() {
  const box = document.getElementById("datasets");
  for (const [key, title] of [...CLASS_SETS, ...REG_SETS]) {
    const c = document.createElement("canvas");
    c.width = c.height = 50; c.id = "dataset-" + key; c.title = title; c.dataset.key = key;
    c.addEventListener("click", () => {
      if (key.startsWith("reg-")) change(["problem", "regression"], ["regDataset", key]);
      else change(["problem", "classification"], ["dataset", key]);
    });
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#e8eaeb"; ctx.fillRect(0, 0, 50, 50);
    for (let i = 0; i < 160; i++) {
      const x = (Math.sin(i * 12.9898) * 43758.5453 % 1 + 1) % 1 * 12 - 6;
      const y = (Math.sin(i * 78.233) * 12345.678 % 1 + 1) % 1 * 12 - 6;
      const v = thumbnailRule(key, x, y);
      if (v === null) continue;
      ctx.fillStyle = valueColour(v);
      ctx.fillRect((x + 6) / 12 * 50 - 1.5, (6 - y) / 12 * 50 - 1.5, 3, 3);
    }
    box.appendChild(c);
  }
}
function thumbnailRule(key, x, y) {
  const r = Math.hypot(x, y);
  switch (key) {
    case "circle": return r < 2.5 ? 1 : r > 3.5 && r < 5 ? -1 : null;
    case "xor": return x * y >= 0 ? 1 : -1;
    case "gauss": return Math.hypot(x - 2, y - 2) < 1.8 ? 1 : Math.hypot(x + 2, y + 2) < 1.8 ? -1 : null;
    case "spiral": { const t = (Math.atan2(y, x) + 2 * Math.PI) % (2 * Math.PI); const k = (r / 1.1 - t) / (2 * Math.PI); const f = k - Math.floor(k); return r > 5.5 ? null : f < 0.5 ? 1 : -1; }
    case "reg-plane": return Math.max(-1, Math.min(1, (x + y) / 10));
    default: return Math.sin(x) * Math.cos(y);
  }
}

// --- drawing a frame
function render() {
  const { state, frame } = view;
  if (!state || !frame) return;
  const s = state.settings;
  const p = view.params;
  document.getElementById("play-icon").setAttribute("d", state.playing ? "M6 19h4V5H6v14zm8-14v14h4V5h-4z" : "M8 5v14l11-7z");
  document.getElementById("play").dataset.playing = state.playing;
  document.getElementById("epoch").textContent = String(frame.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  document.getElementById("epoch").dataset.value = frame.epoch;
  for (const id of ["learningRate", "activation", "regularization", "regularizationRate", "problem", "optimizer", "loss"]) {
    const el = document.getElementById(id);
    if (document.activeElement !== el) el.value = p.get(id);
    if (el.value !== p.get(id)) { const o = document.createElement("option"); o.value = o.textContent = p.get(id); el.appendChild(o); el.value = p.get(id); }
  }
  for (const id of ["percTrainData", "noise", "batchSize", "classes"]) {
    const el = document.getElementById(id);
    if (document.activeElement !== el) el.value = p.get(id);
    document.getElementById(id + "-value").textContent = p.get(id);
  }
  const speed = document.getElementById("speed");
  if (document.activeElement !== speed) speed.value = state.epochs_per_second == null ? "max" : String(state.epochs_per_second);
  document.getElementById("classes-control").style.display = s.problem === "classification" ? "" : "none";
  document.getElementById("loss").disabled = s.problem === "regression";
  document.getElementById("showTestData").checked = s.show_test_data;
  document.getElementById("discretize").checked = s.discretize;
  for (const c of document.querySelectorAll("#datasets canvas")) {
    const key = c.dataset.key;
    c.classList.toggle("selected", key.startsWith("reg-") ? s.problem === "regression" && p.get("regDataset") === key : s.problem === "classification" && p.get("dataset") === key);
  }
  const r = frame.record;
  setLoss("test-loss", r.test_loss); setLoss("train-loss", r.train_loss);
  document.getElementById("accuracy").textContent = r.test_accuracy == null ? "" :
    `Accuracy: test ${(100 * r.test_accuracy).toFixed(1)} %, training ${(100 * r.train_accuracy).toFixed(1)} %`;
  document.getElementById("train-command").textContent = state.train_command +
    (state.edited ? "\n(approximately: the training or a weight was changed on the way)" : "");
  if (state.message) showMessage(state.message);
  drawOutput();
  drawChart();
  drawNetwork();
}
function setLoss(id, v) {
  const el = document.getElementById(id);
  const finite = typeof v === "number" && Number.isFinite(v); // JSON writes NaN as null
  el.textContent = finite ? v.toFixed(3) : "–";
  el.dataset.value = finite ? v : "NaN";
}

function drawOutput() {
  const { state, frame, data } = view;
  const canvas = document.getElementById("output-map");
  const s = state.settings;
  const winners = frame.output_classes ? decode(frame.output_classes) : null;
  drawMap(canvas, decode(frame.output), winners, s.discretize);
  if (!data) return;
  const ctx = canvas.getContext("2d");
  const many = state.classes.length > 2;
  const dot = (pt, stroke) => {
    const [x, y, label] = pt;
    ctx.beginPath();
    ctx.arc((x + 6) / 12 * canvas.width, (6 - y) / 12 * canvas.height, 3, 0, 2 * Math.PI);
    ctx.fillStyle = s.problem === "regression" ? valueColour(label) : many ? PALETTE[label] : label === 1 ? "#0877bd" : "#f59322";
    ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
  };
  data.train.forEach(pt => dot(pt, "#fff"));
  if (s.show_test_data) data.test.forEach(pt => dot(pt, "#000"));
  const legend = document.getElementById("legend");
  legend.innerHTML = many ? state.classes.map((c, i) => `<span style="background:${PALETTE[i]}"></span>${c}`).join("")
    : `<span style="background:#f59322"></span>${s.problem === "regression" ? "−1" : "negative"}<span style="background:#0877bd"></span>${s.problem === "regression" ? "+1" : "positive"}`;
}

function drawChart() {
  const canvas = document.getElementById("loss-chart");
  const ctx = canvas.getContext("2d");
  const h = view.frame.chart; // [epoch, train loss, test loss]
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (h.length < 2) return;
  const top = Math.max(...h.map(r => Math.max(r[1], r[2])).filter(Number.isFinite), 1e-9);
  const last = h[h.length - 1][0] || 1;
  for (const [key, colour] of [[1, "#999"], [2, "#000"]]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    h.forEach((r, i) => {
      const x = r[0] / last * (canvas.width - 2) + 1, y = canvas.height - 2 - r[key] / top * (canvas.height - 4);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

// The network: the seven features (the active ones linked), each hidden layer, the outputs.
function drawNetwork() {
  const box = document.getElementById("network");
  const svg = document.getElementById("links");
  const { frame } = view;
  const width = box.clientWidth, layers = shape();
  const columns = layers.length + 2;
  const colX = c => 80 + c * (width - 140) / (columns - 1);
  const rowY = i => 20 + i * 56;
  const active = FEATURES.filter(([key]) => view.params.get(key) === "true");
  const key = `${columns}|${layers}|${active.map(f => f[0])}|${frame.neurons[frame.neurons.length - 1].length}`;
  if (box.dataset.key !== key) { buildNetwork(box, svg, layers, active, colX, rowY); box.dataset.key = key; }
  // maps
  frame.neurons.forEach((maps, l) => maps.forEach((m, j) => {
    const c = document.getElementById(`neuron-${l}-${j}`);
    if (c) drawMap(c, decode(m), null, false);
  }));
  for (const [fkey, name] of FEATURES) {
    const c = box.querySelector(`[data-feature="${name}"]`);
    const on = active.some(f => f[0] === fkey);
    c.classList.toggle("inactive", !on);
    c.dataset.active = on;
    if (!on) c.getContext("2d").clearRect(0, 0, NEURON, NEURON);
  }
  // links
  frame.weights.forEach((rows, l) => rows.forEach((row, j) => row.forEach((w, i) => {
    const line = document.getElementById(`link-${l}-${j}-${i}`);
    if (!line) return;
    line.setAttribute("stroke", w < 0 ? "#f59322" : "#0877bd");
    line.setAttribute("stroke-width", Math.min(10, 1 + 1.8 * Math.abs(w)));
    line.querySelector("title").textContent = `weight ${w.toFixed(3)} (click to edit)`;
    line.dataset.value = w;
  })));
  if (view.hover) showHover(view.hover);
}

function neuronCanvas(box, id, x, y, title) {
  const c = document.createElement("canvas");
  c.width = c.height = NEURON; c.className = "neuron"; c.id = id; c.title = title;
  c.style.left = (x - NEURON / 2) + "px"; c.style.top = (y - NEURON / 2) + "px";
  c.addEventListener("mouseenter", () => { view.hover = c; showHover(c); });
  c.addEventListener("mouseleave", () => { view.hover = null; document.getElementById("hover-map").style.display = "none"; });
  box.appendChild(c);
  return c;
}
function showHover(c) {
  const big = document.getElementById("hover-map");
  const [, l, j] = c.id.match(/neuron-(\d+)-(\d+)/) || [];
  const maps = l === undefined ? null : view.frame.neurons[l];
  if (!maps || !maps[j]) { big.style.display = "none"; return; }
  drawMap(big, decode(maps[j]), null, false);
  big.style.display = "block";
  const left = parseFloat(c.style.left), box = document.getElementById("network");
  big.style.left = (left > box.clientWidth / 2 ? left - 170 : left + 50) + "px";
  big.style.top = Math.max(0, parseFloat(c.style.top) - 60) + "px";
}

function buildNetwork(box, svg, layers, active, colX, rowY) {
  view.hover = null;
  document.getElementById("hover-map").style.display = "none";
  for (const el of [...box.querySelectorAll(".neuron, .feature-label, .neuron-buttons, .neuron-count")]) el.remove();
  svg.innerHTML = "";
  const centres = [];
  // features: all seven, click to toggle; active ones are neurons of layer 0
  const first = [];
  FEATURES.forEach(([key, name, label], i) => {
    const x = colX(0), y = rowY(i, 7);
    const at = active.findIndex(f => f[0] === key);
    const c = neuronCanvas(box, at >= 0 ? `neuron-0-${at}` : `feature-${name}`, x, y, `${label}: click to turn ${at >= 0 ? "off" : "on"}`);
    c.dataset.feature = name;
    c.addEventListener("click", () => change([key, at >= 0 ? "false" : "true"]));
    const t = document.createElement("div"); t.className = "feature-label"; t.textContent = label;
    t.style.left = (x - NEURON / 2 - 78) + "px"; t.style.top = (y - 8) + "px"; box.appendChild(t);
    if (at >= 0) first.push([x, y]);
  });
  centres.push(first);
  layers.forEach((n, l) => {
    const x = colX(l + 1), col = [];
    for (let j = 0; j < n; j++) { const y = rowY(j, n); neuronCanvas(box, `neuron-${l + 1}-${j}`, x, y, `hidden layer ${l + 1}, neuron ${j + 1}`); col.push([x, y]); }
    centres.push(col);
    const b = document.createElement("div"); b.className = "neuron-buttons";
    b.innerHTML = `<button class="add-neuron" id="add-neuron-${l + 1}" title="Add a neuron">+</button><button class="remove-neuron" id="remove-neuron-${l + 1}" title="Remove a neuron">&minus;</button>`;
    b.style.left = (x - 28) + "px"; b.style.top = "-28px"; box.appendChild(b);
    b.querySelector(".add-neuron").addEventListener("click", () => { const s = shape(); if (s[l] < MAX_NEURONS) { s[l]++; setShape(s); } });
    b.querySelector(".remove-neuron").addEventListener("click", () => { const s = shape(); if (s[l] > 1) { s[l]--; setShape(s); } });
    const count = document.createElement("div"); count.className = "neuron-count";
    count.textContent = `${n} neuron${n > 1 ? "s" : ""}`; count.style.left = (x - 25) + "px"; count.style.top = (rowY(n, n) - 12) + "px";
    box.appendChild(count);
  });
  document.getElementById("layer-count").textContent = `${layers.length} hidden layer${layers.length === 1 ? "" : "s"}`;
  const outs = view.frame.neurons[view.frame.neurons.length - 1].length;
  const last = [];
  for (let j = 0; j < outs; j++) { const x = colX(layers.length + 1), y = rowY(j, outs); neuronCanvas(box, `neuron-${layers.length + 1}-${j}`, x, y, `output ${j + 1}`); last.push([x, y]); }
  centres.push(last);
  // links, drawn under the neurons; click one to set its weight
  for (let l = 0; l + 1 < centres.length; l++) centres[l + 1].forEach(([x2, y2], j) => centres[l].forEach(([x1, y1], i) => {
    const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
    line.id = `link-${l}-${j}-${i}`;
    for (const [k, v] of [["x1", x1 + NEURON / 2], ["y1", y1], ["x2", x2 - NEURON / 2], ["y2", y2]]) line.setAttribute(k, v);
    line.setAttribute("stroke-opacity", 0.7);
    line.appendChild(document.createElementNS("http://www.w3.org/2000/svg", "title"));
    line.addEventListener("click", () => editWeight(l, j, i, line));
    svg.appendChild(line);
  }));
  box.style.height = Math.max(420, 7 * 56 + 20) + "px";
}

function editWeight(layer, to, from, line) {
  const now = Number(line.dataset.value);
  const answer = prompt(`Weight from neuron ${from + 1} of layer ${layer} to neuron ${to + 1} of layer ${layer + 1}:`, now.toFixed(3));
  if (answer === null) return;
  const value = Number(answer);
  if (!Number.isFinite(value)) { showMessage(`${answer}: not a number`); return; }
  send({ cmd: "weight", layer, to, from, value }).catch(() => {});
}

// --- frames from the server
async function fetchData(version) {
  const r = await fetch("/api/data");
  view.data = await r.json();
  view.dataVersion = version;
  render();
}
// Frames may come faster than the page draws: keep the latest, draw once per display frame.
let drawPending = false;
function onFrame(event) {
  const msg = JSON.parse(event.data);
  if (msg.error) { showMessage(msg.error); return; }
  view.state = msg.state; view.frame = msg.frame;
  view.params = parseQuery(msg.state.query);
  if (location.hash.slice(1) !== msg.state.query) history.replaceState(null, "", "#" + msg.state.query);
  if (msg.state.data_version !== view.dataVersion) { view.dataVersion = msg.state.data_version; fetchData(msg.state.data_version); return; }
  if (!drawPending) { drawPending = true; requestAnimationFrame(() => { drawPending = false; render(); }); }
}

async function start() {
  setupControls();
  setupDatasets();
  const hash = location.hash.slice(1);
  if (hash) await send({ cmd: "open", query: hash }).catch(() => {});
  // A link pasted into the address bar (only its hash changed): start that exercise.
  window.addEventListener("hashchange", () => {
    const q = location.hash.slice(1);
    if (q && (!view.state || q !== view.state.query)) send({ cmd: "open", query: q }).catch(() => {});
  });
  const events = new EventSource("/events");
  events.onmessage = onFrame;
  events.onerror = () => showMessage("lost the server: is `nn playground` still running?");
  events.onopen = () => showMessage("");
}
start();
