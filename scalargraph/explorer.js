// The explorer page's script: layout, stepping, sweeps. Shipped as package data and inlined
// into each page by scalargraph/_explore_page.py, after DATA (the tape, its precomputed points)
// and lin(o, x, y) (the op table, translated to JavaScript by scalargraph/_jsops.py).
// The sweeps repeat kernels/sweeps.py's arithmetic in the same order (strong zeros included),
// so a precomputed point shows the tape's adjoints and tangents bit for bit.
"use strict";
const D = DATA, N = D.n, NIN = D.nIn;
const BW = 124, BH = 60, CW = 250, RH = 84, PAD = 20, GW = 190;  // GW: a group's box
const $ = (id) => document.getElementById(id);
const kindOf = (i) => D.kind[D.op[i]], arity = (i) => D.arity[D.op[i]];
const parentsOf = (i) => [D.a0[i], D.a1[i]].slice(0, arity(i));
const children = Array.from({length: N}, () => []);
for (let i = 0; i < N; i++) for (const [s, p] of parentsOf(i).entries()) children[p].push([i, s]);
const isOut = new Set(D.outputs);
const S = {mode: "forward", out: 0, dir: 0, k: 0, point: 0, P: null, view: null, sel: -1,
           timer: null, typed: null};

function fmt(v) {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (!isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(4)));
}
const LEGEND = "<p style='color:#555'>Click or hover a node. Black: value. Blue ā: adjoint " +
  "d output / d node; an edge shows local partial × the child's adjoint = the message it sends " +
  "back, Σ the messages summed where paths meet. Green ṫ: tangent d node / d input; an edge " +
  "shows local partial × the parent's tangent.</p>";
const full = (v) => Object.is(v, -0) ? "-0" : String(v);

// ---- the point: precomputed by the tape, or evaluated here from the op table ------------
function evaluate(x) {
  const val = new Float64Array(N), p0 = new Float64Array(N), p1 = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const o = D.op[i], k = D.kind[o];
    if (k === "input") { val[i] = x[i]; continue; }
    if (k === "const") { val[i] = D.consts[D.a0[i]]; continue; }
    const a = val[D.a0[i]];
    const b = k === "binary" ? val[D.a1[i]] : k === "const_right" ? D.consts[D.a1[i]] : 0.0;
    const r = lin(o, a, b);
    val[i] = r[0]; p0[i] = r[1]; p1[i] = r[2];
  }
  return {x: x, val: val, p0: p0, p1: p1, typed: true};
}

// ---- the sweeps, step by step (kernels/sweeps.py's arithmetic, in its order) -------------
// Visit order: forward and tangent 0..N-1, reverse N-1..0. After k steps the state is what
// the sweep holds after its first k nodes.
// What u adds through the partial d != 0 (kernels/reach.py): NaN where d is not finite;
// -0 (adds nothing) where u is -0, the mark of "not reached".
function term(d, u) {
  const pd = d + (d - d);
  if (u !== 0.0) return pd * u;
  return Object.is(u, -0) ? -0.0 : pd * 0.0 + 0.0;
}
function visitAt(j) { return S.mode === "reverse" ? N - 1 - j : j; }
function state() {
  const P = S.P, k = S.k, st = {acc: null, tan: null, msg0: null, msg1: null, got: null};
  if (S.mode === "reverse") {
    const acc = new Float64Array(N), m0 = new Float64Array(N), m1 = new Float64Array(N);
    const got = new Int32Array(N);
    // -0 marks "not reached yet" and adds nothing (kernels/reach.py).
    acc.fill(-0.0);
    acc[D.outputs[S.out]] = 1.0;
    for (let j = 0; j < k; j++) {
      const i = N - 1 - j, s = acc[i];
      if (Object.is(s, -0)) continue;
      const d = P.p0[i];
      if (d !== 0.0) { m0[i] = term(d, s); acc[D.a0[i]] += m0[i]; got[D.a0[i]]++; }
      const e = P.p1[i];
      if (e !== 0.0) { m1[i] = term(e, s); acc[D.a1[i]] += m1[i]; got[D.a1[i]]++; }
    }
    for (let i = 0; i < N; i++) acc[i] += 0.0;  // what nothing reached shows as 0
    Object.assign(st, {acc: acc, msg0: m0, msg1: m1, got: got});
  } else if (S.mode === "tangent") {
    const t = new Float64Array(N), m0 = new Float64Array(N), m1 = new Float64Array(N);
    t.fill(-0.0);  // not reached (kernels/reach.py)
    t[S.dir] = 1.0;
    for (let i = NIN; i < k; i++) {
      let u = -0.0;
      const d = P.p0[i];
      if (d !== 0.0) { const w = t[D.a0[i]]; if (!Object.is(w, -0)) { m0[i] = term(d, w); u += m0[i]; } }
      const e = P.p1[i];
      if (e !== 0.0) { const w = t[D.a1[i]]; if (!Object.is(w, -0)) { m1[i] = term(e, w); u += m1[i]; } }
      t[i] = u;
    }
    for (let i = 0; i < N; i++) t[i] += 0.0;  // what nothing reached shows as 0
    Object.assign(st, {tan: t, msg0: m0, msg1: m1});
  }
  return st;
}
function visited(i) { return S.mode === "reverse" ? i >= N - S.k : i < S.k; }
function current() { return S.k > 0 ? visitAt(S.k - 1) : -1; }

// ---- layout: columns by depth, wrapped into bands of what fits the window's width ---------
function place(items, bw = BW, cw = CW) {  // items: [{col, row}] -> adds x, y; [width, height]
  let ncol = 0;
  for (const it of items) ncol = Math.max(ncol, it.col + 1);
  const fit = Math.floor(($("canvas").clientWidth - 2 * PAD + cw - bw) / cw);
  const per = Math.max(1, Math.min(ncol, Math.max(3, fit)));
  const bands = Math.ceil(ncol / per), tall = new Array(bands).fill(0);
  for (const it of items) { const b = Math.floor(it.col / per); tall[b] = Math.max(tall[b], it.row + 1); }
  const top = [PAD];
  for (let b = 1; b < bands; b++) top.push(top[b - 1] + tall[b - 1] * RH + 40);
  for (const it of items) {
    it.x = PAD + (it.col % per) * cw; it.y = top[Math.floor(it.col / per)] + it.row * RH;
  }
  return [PAD * 2 + (per - 1) * cw + bw, top[bands - 1] + tall[bands - 1] * RH + PAD];
}
function nodeItems(list) {
  const d0 = Math.min(...list.map((i) => D.depth[i]));
  const cols = new Map();
  for (const i of list) { const c = D.depth[i] - d0; if (!cols.has(c)) cols.set(c, []); cols.get(c).push(i); }
  const items = [];
  for (const [c, m] of cols) {
    m.sort((a, b) => D.order[a] - D.order[b]);
    m.forEach((i, r) => items.push({i: i, col: c, row: r}));
  }
  return items;
}

// ---- drawing ---------------------------------------------------------------------------
const NS = "http://www.w3.org/2000/svg";
function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
let view = null;  // what is drawn: {nodes: Map(i -> {g, texts}), edges: [...]} or groups
function draw() {
  const canvas = $("canvas");
  canvas.innerHTML = "";
  if (D.groups && S.view === null) return drawGroups(canvas);
  let list = Array.from({length: N}, (_, i) => i), ghost = new Set();
  if (D.groups) {  // the group's nodes, and (faded) the parents it reads from other groups
    list = D.groups.members[S.view];
    const mine = new Set(list);
    for (const i of list) for (const p of parentsOf(i)) if (!mine.has(p) && ghost.size < 300) ghost.add(p);
    list = list.concat([...ghost]);
  }
  const items = nodeItems(list), [w, h] = place(items);
  const svg = el("svg", {width: w, height: h, viewBox: `0 0 ${w} ${h}`, id: "graph"}, canvas);
  const at = new Map(items.map((it) => [it.i, it]));
  const edges = [], eg = el("g", {}, svg), lg = el("g", {}, svg), ng = el("g", {}, svg);
  for (const it of items) {
    for (const [s, p] of parentsOf(it.i).entries()) {
      const q = at.get(p);
      if (!q) continue;
      let x1 = q.x + BW, y1 = q.y + BH / 2, x2 = it.x, y2 = it.y + BH / 2, d;
      if (it.x > q.x) {
        const dx = Math.max(40, Math.abs(x2 - x1) / 2);
        d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
      } else {  // to the next band of a wrapped graph: bottom of the parent to top of the child
        x1 = q.x + BW / 2; y1 = q.y + BH; x2 = it.x + BW / 2; y2 = it.y;
        d = `M${x1},${y1} C${x1},${y1 + 60} ${x2},${y2 - 60} ${x2},${y2}`;
      }
      const path = el("path", {class: "edge", d: d}, eg);
      const label = el("text", {class: "elabel", x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 3,
                                "text-anchor": "middle", "data-edge": `${p}-${it.i}`}, lg);
      edges.push({p: p, c: it.i, s: s, path: path, label: label});
    }
  }
  const nodes = new Map();
  for (const it of items) {
    const i = it.i, k = kindOf(i);
    const g = el("g", {class: "node " + (k === "input" ? "input" : k === "const" ? "const" : "") +
                       (isOut.has(i) ? " output" : "") + (ghost.has(i) ? " ghost" : ""), transform: `translate(${it.x},${it.y})`,
                       "data-node": i}, ng);
    el("rect", {width: BW, height: BH, rx: k === "input" ? 9 : 2}, g);
    el("title", {}, g, D.exprs[i]);
    el("text", {class: "head", x: BW / 2, y: 14, "text-anchor": "middle"}, g, D.heads[i]);
    const t1 = el("text", {class: "val", x: BW / 2, y: 28, "text-anchor": "middle"}, g);
    const t2 = el("text", {class: "adj", x: BW / 2, y: 41, "text-anchor": "middle"}, g);
    const t3 = el("text", {class: "sum", x: BW / 2, y: 54, "text-anchor": "middle"}, g);
    g.addEventListener("click", () => { S.sel = i; refresh(); });
    g.addEventListener("mouseenter", () => info(i));
    nodes.set(i, {g: g, t1: t1, t2: t2, t3: t3});
  }
  view = {nodes: nodes, edges: edges};
  refresh();
}
function drawGroups(canvas) {
  const G = D.groups, items = G.list.map((g, gi) => ({gi: gi, col: g[0], row: g[1]}));
  const [w, h] = place(items, GW, GW + 50);
  const svg = el("svg", {width: w, height: h, viewBox: `0 0 ${w} ${h}`, id: "graph"}, canvas);
  const eg = el("g", {}, svg);
  for (const [a, b] of G.edges.slice(0, 3000)) {
    const p = items[a], q = items[b];
    el("path", {class: "gedge", d: `M${p.x + GW},${p.y + BH / 2} L${q.x},${q.y + BH / 2}`}, eg);
  }
  const groups = [];
  for (const it of items) {
    const g = G.list[it.gi];
    const e = el("g", {class: "group", transform: `translate(${it.x},${it.y})`, "data-group": it.gi}, svg);
    el("rect", {class: "box", width: GW, height: BH}, e);
    const bar = el("rect", {class: "bar", x: 1, y: BH - 7, width: 0, height: 6}, e);
    el("text", {x: 5, y: 14}, e, `depth ${g[2]}` + (g[3] > g[2] ? `–${g[3]}` : "") + ` · ${g[4]} nodes`);
    el("text", {x: 5, y: 28}, e, g[5]);
    const prog = el("text", {x: 5, y: 42}, e);
    el("title", {}, e, "click to open this group");
    e.addEventListener("click", () => { S.view = it.gi; draw(); });
    groups.push({e: e, bar: bar, prog: prog, gi: it.gi});
  }
  view = {groups: groups};
  refresh();
}

// ---- showing the state -----------------------------------------------------------------
function refresh() {
  const st = state(), P = S.P, cur = current(), mode = S.mode;
  const word = {forward: "values", reverse: "adjoints", tangent: "tangents"}[mode];
  $("status").textContent = `${S.k} / ${N} nodes` + (cur >= 0 ? ` · now #${cur}: ${D.exprs[cur]}` : "");
  $("outwrap").style.display = mode === "reverse" ? "" : "none";
  $("dirwrap").style.display = mode === "tangent" ? "" : "none";
  if (view && view.groups) {
    const G = D.groups, gcur = cur >= 0 ? G.of[cur] : -1;
    for (const g of view.groups) {
      const m = G.members[g.gi];
      let done = 0;
      for (const i of m) if (visited(i)) done++;
      g.bar.setAttribute("width", (GW - 2) * done / m.length);
      g.prog.textContent = `${word}: ${done} / ${m.length}`;
      g.e.setAttribute("class", "group" + (g.gi === gcur ? " cur" : ""));
    }
  } else if (view) {
    const pars = new Set(cur >= 0 ? parentsOf(cur) : []);
    for (const [i, v] of view.nodes) {
      const seen = visited(i);
      v.g.classList.toggle("cur", i === cur);
      if (i === cur && S.k !== view.shownK) v.g.scrollIntoView({block: "nearest", inline: "nearest"});
      v.g.classList.toggle("par", pars.has(i) && i !== cur);
      v.g.classList.toggle("sel", i === S.sel);
      const showVal = mode !== "forward" || seen;
      v.t1.textContent = showVal ? fmt(P.val[i]) : "";
      v.g.setAttribute("data-value", showVal ? full(P.val[i]) : "");
      let a = "", t = "", sum = "";
      if (mode === "reverse") {
        v.t2.setAttribute("class", "adj");
        if (seen) {
          a = full(st.acc[i]);
          v.t2.textContent = "ā " + fmt(st.acc[i]);
          const ms = messages(st, i);
          if (ms.length > 1) sum = "Σ " + ms.map(fmt).join(" + ");
        } else v.t2.textContent = st.got[i] ? "… " + fmt(st.acc[i]) : "";
      } else if (mode === "tangent") {
        v.t2.setAttribute("class", "tan");
        if (seen) { t = full(st.tan[i]); v.t2.textContent = "ṫ " + fmt(st.tan[i]); }
        else v.t2.textContent = "";
      } else v.t2.textContent = "";
      v.t3.textContent = sum;
      v.g.setAttribute("data-adjoint", a);
      v.g.setAttribute("data-tangent", t);
    }
    view.shownK = S.k;  // scroll to the current node once per step, not on every hover
    for (const e of view.edges) {
      let text = "", cls = "elabel", hot = false;
      if (mode === "forward") {
        if (visited(e.c)) { text = fmt(P.val[e.p]); cls += " fwd"; hot = e.c === cur; }
      } else if (mode === "reverse") {
        if (visited(e.c)) {
          const d = e.s ? P.p1[e.c] : P.p0[e.c], m = e.s ? st.msg1[e.c] : st.msg0[e.c];
          text = `${fmt(d)} × ${fmt(st.acc[e.c])} = ${fmt(m)}`; hot = e.c === cur;
        }
      } else if (visited(e.c) && e.c >= NIN) {
        const d = e.s ? P.p1[e.c] : P.p0[e.c], m = e.s ? st.msg1[e.c] : st.msg0[e.c];
        text = `${fmt(d)} × ${fmt(st.tan[e.p])} = ${fmt(m)}`; cls += " tan"; hot = e.c === cur;
      }
      e.label.textContent = text;
      e.label.setAttribute("class", cls);
      e.path.setAttribute("class", hot ? "edge hot" : "edge");
    }
  }
  info(S.sel >= 0 ? S.sel : cur, st);
}
function messages(st, i) {  // what node i received from its children (reverse), in sweep order
  const out = [];
  for (const [c, s] of children[i].slice().sort((a, b) => b[0] - a[0]))
    if (visited(c)) { const m = s ? st.msg1[c] : st.msg0[c]; if (m !== 0) out.push(m); }
  return out;
}
function info(i, st) {
  const box = $("info");
  if (i < 0) { box.innerHTML = LEGEND; return; }
  st = st || state();
  const P = S.P, rows = [], k = kindOf(i), esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const row = (a, b, id) => rows.push(`<tr><td>${a}</td><td class="num"${id ? ` id="${id}"` : ""}>${esc(b)}</td></tr>`);
  row("node", `#${i}` + (isOut.has(i) ? ` (output ${D.outputs.indexOf(i)})` : ""));
  row("op", D.opName[D.op[i]]);
  row("expression", D.exprs[i], "info-expr");
  row("value", full(P.val[i]), "info-value");
  if (k !== "input" && k !== "const") {
    const ps = parentsOf(i).map((p, s) => `∂/∂${D.names[p] || "#" + p} = ${full(s ? P.p1[i] : P.p0[i])}`);
    row("local partials", ps.join(", "));
  }
  if (S.mode === "reverse") {
    row("adjoint", visited(i) ? full(st.acc[i]) : "not yet (its children come first)", "info-adjoint");
    const ms = messages(st, i);
    if (ms.length) row("from children", ms.map(full).join(" + "));
  }
  if (S.mode === "tangent") row("tangent", visited(i) ? full(st.tan[i]) : "not yet", "info-tangent");
  box.innerHTML = `<table>${rows.join("")}</table>` + LEGEND;
}

// ---- controls --------------------------------------------------------------------------
function go(k) {
  S.k = Math.max(0, Math.min(N, k));
  if (D.groups && S.view !== null && S.k > 0) {  // follow the sweep into the next group
    const g = D.groups.of[current()];
    if (g !== S.view) { S.view = g; draw(); return; }
  }
  refresh();
}
function parseNumber(text) {  // a number as Python would print it (inf, nan) or JavaScript
  const t = text.trim();
  if (/^[+-]?inf(inity)?$/i.test(t)) return t[0] === "-" ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  const v = Number(t);
  return t === "" || Number.isNaN(v) ? null : v;
}
function stop() { if (S.timer) { clearInterval(S.timer); S.timer = null; $("play").textContent = "play"; } }
function setPoint(P) { S.P = P; refresh(); }
function init() {
  if (D.groups) {
    const m = D.groups.list.map(() => []);
    D.groups.of.forEach((g, i) => m[g].push(i));
    D.groups.members = m;
    $("overview").style.display = "";
  }
  D.outputs.forEach((o, k) => $("output").add(new Option(`${k}: #${o} ${D.exprs[o]}`.slice(0, 60), k)));
  D.inputNames.forEach((nm, k) => $("direction").add(new Option(nm, k)));
  D.points.forEach((p, k) => $("point").add(new Option(`(${p.x.map(fmt).join(", ")})`.slice(0, 80), k)));
  const typed = $("typed");
  if (NIN <= 12) D.inputNames.forEach((nm, k) => {
    const l = document.createElement("label"), f = document.createElement("input");
    f.size = 7; f.value = full(D.points[0].x[k]); f.id = "x" + k;
    l.append(` ${nm} `, f); typed.appendChild(l);
  }); else {
    const f = document.createElement("input"); f.size = 40; f.id = "xs";
    f.value = D.points[0].x.map(full).join(", "); typed.append("x = ", f);
  }
  if (D.untranslated.length) {
    $("evaluate").disabled = true;
    $("note").textContent = `The op(s) ${D.untranslated.join(", ")} have no JavaScript translation: ` +
                            "only the precomputed points can be shown.";
  }
  $("mode").onchange = () => { stop(); S.mode = $("mode").value; go(0); };
  $("output").onchange = () => { S.out = +$("output").value; go(S.k); };
  $("direction").onchange = () => { S.dir = +$("direction").value; go(S.k); };
  $("point").onchange = () => {
    const P = D.points[+$("point").value];
    if (NIN <= 12) P.x.forEach((v, k) => { $("x" + k).value = full(v); });
    else $("xs").value = P.x.map(full).join(", ");
    setPoint(P);
  };
  let resizing = null;  // wrap again to the new width, once the window stops changing
  window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(draw, 200); });
  $("evaluate").onclick = () => {
    const raw = NIN <= 12 ? D.inputNames.map((_, k) => $("x" + k).value) : $("xs").value.split(",");
    const x = raw.map(parseNumber);
    if (x.length !== NIN || x.some((v) => v === null)) {
      $("note").textContent = `expected ${NIN} number(s), like 1.5, -2e-3, inf or nan: point not changed`;
      return;
    }
    $("note").textContent = "evaluated in this page by the op table in JavaScript (the browser's Math may differ from the tape's libm in the last digit)";
    setPoint(evaluate(x));
  };
  $("reset").onclick = () => { stop(); go(0); };
  $("back").onclick = () => { stop(); go(S.k - 1); };
  $("step").onclick = () => { stop(); go(S.k + 1); };
  $("end").onclick = () => { stop(); go(N); };
  $("overview").onclick = () => { S.view = null; draw(); };
  $("play").onclick = () => {
    if (S.timer) return stop();
    if (S.k >= N) go(0);
    $("play").textContent = "pause";
    S.timer = setInterval(() => {
      const v = +$("speed").value, per = v <= 10 ? 1 : Math.ceil(Math.pow(1.25, v - 10));
      if (S.k >= N) return stop();
      go(S.k + per);
    }, 1000 / Math.min(+$("speed").value, 10));
  };
  S.P = D.points[0];
  draw();
  performance.mark("sg-ready");  // tools/explorer_sizes.py reads the time to a drawn page
}
init();
