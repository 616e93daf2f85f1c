// raftlab sandbox: the page. Plain JavaScript, no framework and no
// bundler: the page is small, and a build step would be one more thing a
// student has to run before `go run ./cmd/sandbox` shows anything.
//
// The simulator runs in a Web Worker (worker.js). Every call goes through
// Engine.call, which times it: a call that overruns its limit (an
// implementation that spins) gets the Worker terminated and restarted,
// and the page says so, so the tab never freezes.
'use strict';

const $ = (id) => document.getElementById(id);
const STEP_LIMIT_MS = 5000; // one bounded advance/act never takes this long unless something spins
const SCENARIO_LIMIT_MS = 60000; // a whole lab scenario, run in one call
const MAX_WINDOW = 40; // log cells shown per node
// A message is in flight for 1–5 simulated ms: at 1× that is less than a
// frame, so each send is also animated along its link for ANIM_MS of real
// time (at most ANIM_MAX at once), which is what makes the traffic visible.
const ANIM_MS = 600;
const ANIM_MAX = 80;

// ---------------------------------------------------------------- engine

class Overrun extends Error {}

// Engine is the page's side of the Worker protocol (see worker.js).
class Engine {
  constructor(hooks) {
    this.hooks = hooks;
    this.pending = new Map();
    this.nextId = 1;
    this.restarts = 0;
    this.start();
  }

  start() {
    this.worker = new Worker('worker.js');
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {}); // reported through hooks.fatal
    this.worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.ready) { this.version = m.version; this.resolveReady(m.version); return; }
      if (m.fatal) { this.rejectReady(new Error(m.fatal)); this.hooks.fatal(m.fatal); return; }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(m.error)); else p.resolve(m.result);
    };
    this.worker.onerror = (e) => { this.hooks.fatal(e.message || 'the simulator worker failed'); };
  }

  async call(fn, arg, limitMs = STEP_LIMIT_MS) {
    await this.ready; // loading the WebAssembly does not count against a step's limit
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => this.overrun(fn, limitMs), limitMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, fn, arg });
    });
  }

  overrun(fn, ms) {
    this.worker.terminate();
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Overrun(`${fn} ran longer than ${ms / 1000} s`)); }
    this.pending.clear();
    this.restarts++;
    this.start();
    this.hooks.overrun(fn, ms);
  }
}

// ----------------------------------------------------------------- state

const S = {
  mode: 'live', // 'live' or 'replay'
  cfg: null, // the live world's settings
  actions: [], // this branch's user actions, each with at_us
  state: null, // the live world's last state
  maxT: 0, // the end of this branch's timeline, µs
  playing: false,
  speed: 1,
  selected: -1,
  groups: [],
  drops: [], // lost messages being shown: {from, to, at, reason, born}
  anims: [], // sent messages being animated: {from, to, kind, summary, born}
  seen: new Set(), // recent events already animated
  replay: null,
  busy: false,
  lastFrame: 0,
  frameMs: 0,
  frameTimes: [], // render time of the last frames while playing, ms
};

const engine = new Engine({
  fatal(msg) { banner(`The simulator could not start: ${msg}`, true); setStatus('error'); },
  overrun(fn, ms) {
    S.playing = false;
    updatePlay();
    banner(`A simulation step (${fn}) ran longer than ${ms / 1000} s: the implementation may be spinning. ` +
      'The simulator was stopped and restarted; the world was rebuilt at time 0 from its settings and actions.', true);
    if (S.mode === 'live' && S.cfg) queue(() => rebuild(0)).catch(showError);
  },
});

// queue runs simulator work one piece at a time: the play loop, a click and
// a scrub never interleave their calls.
let chain = Promise.resolve();
function queue(fn) {
  const run = chain.then(async () => { S.busy = true; try { return await fn(); } finally { S.busy = false; } });
  chain = run.catch(() => {});
  return run;
}

// advanceUntil advances the world to T in bounded calls.
async function advanceUntil(T) {
  T = Math.round(T); // the simulator counts whole µs
  let st = S.state;
  for (let i = 0; i < 10000; i++) {
    st = await engine.call('advance', { until_us: T });
    if (!st.truncated || st.now_us >= T || st.failure) break;
  }
  return st;
}

// rebuild brings the live world to simulated time T: the simulator
// re-creates it from the seed and the actions, deterministically, starting
// from the latest world it kept (a checkpoint) that stands at or before T
// on this branch, the current one included (wasm/sandbox/checkpoints.go).
// So scrubbing forward costs the distance, and going back to 0 and on to
// the end again finds the end still there.
async function rebuild(T) {
  T = Math.round(T);
  let st = await engine.call('newWorld', { ...S.cfg, actions: S.actions.filter((a) => a.at_us <= T), at_us: T });
  if (st.truncated && st.now_us < T && !st.failure) { S.state = st; st = await advanceUntil(T); }
  setLive(st);
}

// goTo moves the live world to simulated time T within this branch. The
// play loop's small steps forward advance the world it has; a scrub, or
// a step past a recorded action, goes through rebuild, which picks the
// best world the simulator kept.
async function goTo(T, playing = false) {
  T = Math.max(0, Math.min(Math.round(T), S.maxT));
  const now = S.state ? S.state.now_us : 0;
  const between = S.actions.some((a) => a.at_us > now && a.at_us <= T);
  if (playing && T >= now && !between) setLive(await advanceUntil(T));
  else await rebuild(T);
}

// act applies a user action now. Acting in the past starts a new branch:
// the actions after now are forgotten.
async function act(action) {
  if (S.mode !== 'live') return;
  await queue(async () => {
    const now = S.state.now_us;
    if (now < S.maxT) {
      S.actions = S.actions.filter((a) => a.at_us <= now);
      S.maxT = now;
    }
    const st = await engine.call('act', action);
    S.actions = st.actions || S.actions;
    setLive(st);
  });
}

function setLive(st) {
  S.state = st;
  S.maxT = Math.max(S.maxT, st.now_us);
  noteRecent(st.recent || [], st.now_us);
  if (st.failure && S.playing) { S.playing = false; updatePlay(); }
  renderFrame();
  scheduleUrl();
}

async function newWorld(cfg, actions = [], T = 0) {
  S.cfg = cfg;
  S.actions = actions;
  S.maxT = T;
  S.seen.clear();
  S.drops = [];
  S.anims = [];
  S.state = null;
  S.groups = Array.from({ length: cfg.nodes }, () => 0);
  S.selected = Math.min(S.selected, cfg.nodes - 1);
  await queue(async () => {
    let st = await engine.call('newWorld', { ...cfg, actions: actions.filter((a) => a.at_us <= T), at_us: Math.round(T) });
    if (st.truncated && st.now_us < T && !st.failure) { S.state = st; st = await advanceUntil(T); }
    setLive(st);
  });
  renderGroups();
}

// ----------------------------------------------------------------- utils

const ROLE_TEXT = { leader: 'LEADER', candidate: 'CANDIDATE', follower: 'follower' };
const TERM_COLOURS = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'];
const termColour = (t) => (t > 0 ? TERM_COLOURS[(t - 1) % TERM_COLOURS.length] : '#fff');
const termText = (t) => ([4, 5, 6].includes((t - 1) % 8) ? '#fff' : '#111');
const secs = (us) => (us / 1e6).toFixed(3) + ' s';
const svgNS = 'http://www.w3.org/2000/svg';
function el(tag, attrs = {}, text) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function banner(msg, isError) {
  const b = $('banner');
  b.textContent = msg;
  b.className = 'banner' + (isError ? ' error' : '');
  b.hidden = !msg;
}
function showError(e) {
  if (e instanceof Overrun) return; // already said
  banner(String(e && e.message || e), true);
}
function setStatus(s) { $('status').textContent = s; }

function msgAbbrev(kind) {
  const base = kind.replace(/Reply$/, '');
  const ab = { RequestVote: 'RV', AppendEntries: 'AE', InstallSnapshot: 'IS' }[base] || kind.slice(0, 2);
  return { ab, reply: kind.endsWith('Reply'), colour: { RV: '#0072B2', AE: '#009E73', IS: '#CC79A7' }[ab] || '#555' };
}

function msgSummary(m) {
  if (!m) return '';
  const pv = m.prevote ? ' pre-vote' : '';
  switch (m.kind) {
    case 'RequestVote': return `RequestVote${pv} t=${m.term} cand=${m.candidate} last=${m.last_log_index}/${m.last_log_term}`;
    case 'RequestVoteReply': return `RequestVoteReply${pv} t=${m.term} granted=${!!m.granted}`;
    case 'AppendEntries': return `AppendEntries t=${m.term} prev=${m.prev_log_index}/${m.prev_log_term} ${m.entries ? 'n=' + m.entries : 'heartbeat'} commit=${m.leader_commit}`;
    case 'AppendEntriesReply': return `AppendEntriesReply t=${m.term} ` + (m.success ? 'ok' : `fail xterm=${m.xterm} xindex=${m.xindex} xlen=${m.xlen}`);
    case 'InstallSnapshot': return `InstallSnapshot t=${m.term} last=${m.last_included_index}/${m.last_included_term} bytes=${m.bytes}`;
    default: return `${m.kind} t=${m.term}`;
  }
}

function eventText(e) {
  const who = e.node >= 0 ? `n${e.node}` : 'world';
  let s = `${(e.t / 1e6).toFixed(6)} ${who} ${e.kind}`;
  switch (e.kind) {
    case 'send': s += ` →n${e.peer} ${msgSummary(e.msg)}` + (e.reason ? ` LOST (${e.reason})` : '') + (e.fault ? ` [${e.fault}]` : ''); break;
    case 'deliver': s += ` ←n${e.peer} ${msgSummary(e.msg)}`; break;
    case 'discard': s += ` ←n${e.peer} ${msgSummary(e.msg)} (${e.reason})`; break;
    case 'start': case 'apply': s += ` i=${e.index} t=${e.term}` + (e.snapshot ? ' snapshot' : ''); break;
    case 'snapshot': s += ` i=${e.index}`; break;
    case 'partition': s += e.groups ? ' ' + e.groups.map((g) => '{' + g.join(',') + '}').join(' ') : (e.peer >= 0 ? ` →n${e.peer}` : ' isolated'); break;
    case 'heal': s += e.peer >= 0 ? ` →n${e.peer}` : ''; break;
    case 'network': s += ' ' + JSON.stringify(e.net); break;
    case 'note': s += ' ' + e.text; break;
    case 'failure': s += ' ' + e.rule; break;
  }
  return s;
}

// noteRecent turns the world's recent events into drop markers, once each.
function noteRecent(recent, nowUs) {
  const born = performance.now();
  for (const e of recent) {
    const key = `${e.t}|${e.kind}|${e.node}|${e.peer}|${e.msg ? JSON.stringify(e.msg) : ''}|${e.reason || ''}`;
    if (S.seen.has(key)) continue;
    S.seen.add(key);
    if (e.kind === 'send' && !e.reason && e.msg) addAnim(e, born - (nowUs - e.t) / (1000 * S.speed));
    if (e.kind === 'send' && e.reason) S.drops.push({ from: e.node, to: e.peer, at: 0.35, reason: e.reason, kind: e.msg && e.msg.kind, born });
    if (e.kind === 'discard') S.drops.push({ from: e.peer, to: e.node, at: 0.7, reason: e.reason, kind: e.msg && e.msg.kind, born });
  }
  if (S.anims.length > ANIM_MAX) S.anims.splice(0, S.anims.length - ANIM_MAX);
  if (S.seen.size > 20000) S.seen.clear();
}

// addAnim animates a send, started when it was sent (mapped to real time
// at the current speed), unless the same kind of message already travels
// the same way: at high speed heartbeats would otherwise form trains.
function addAnim(e, born) {
  const half = animMs() / 2;
  if (S.anims.some((a) => a.from === e.node && a.to === e.peer && a.kind === e.msg.kind && Math.abs(born - a.born) < half)) return;
  S.anims.push({ from: e.node, to: e.peer, kind: e.msg.kind, summary: msgSummary(e.msg), born });
}

// linkState replays the actions to know which one-way links are cut.
function linkState(actions, n) {
  const cut = Array.from({ length: n }, () => Array(n).fill(false));
  for (const a of actions) {
    if (a.type === 'partition') {
      const g = Array(n).fill(-1);
      a.groups.forEach((grp, k) => grp.forEach((i) => { g[i] = k; }));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cut[i][j] = i !== j && g[i] !== g[j];
    } else if (a.type === 'heal') {
      for (const row of cut) row.fill(false);
    } else if (a.type === 'cut' || a.type === 'mend') {
      cut[a.from][a.to] = a.type === 'cut';
    }
  }
  return cut;
}

// ------------------------------------------------------------------ view

// A view is what the pictures draw, from the live world or a replayed trace.
function liveView() {
  const st = S.state;
  if (!st) return null;
  const nodes = st.nodes.map((n) => {
    const terms = new Map();
    for (const [i, t] of n.log || []) terms.set(i, t);
    const last = (n.log && n.log.length) ? n.log[n.log.length - 1][0] : n.snapshot_index;
    return { ...n, terms, last };
  });
  // Messages still in flight after their animation (a long delay, a
  // paused receiver) are drawn where the simulator says they are.
  const nowMs = performance.now();
  const dur = animMs();
  S.anims = S.anims.filter((a) => nowMs - a.born < dur);
  const msgs = S.anims.map((a) => ({ ...a, p: (nowMs - a.born) / dur }));
  for (const m of st.in_flight || []) {
    if (m.sent_us < 0 || st.now_us - m.sent_us > 20000) {
      const span = Math.max(1, m.arrive_us - m.sent_us);
      msgs.push({ kind: m.kind, from: m.from, to: m.to, p: m.sent_us < 0 ? 0.5 : Math.min(1, Math.max(0, (st.now_us - m.sent_us) / span)), summary: m.summary });
    }
  }
  return { nodes, msgs, now: st.now_us, failure: st.failure, cut: linkState(S.actions.filter((a) => a.at_us <= st.now_us), nodes.length) };
}

// ------------------------------------------------------------- rendering

// render draws everything; the play loop calls renderFrame, which redraws
// the logs and panels only when the state they show has changed.
let logSig = '';
function render() {
  logSig = '';
  renderFrame();
}

function renderFrame() {
  const v = S.mode === 'live' ? liveView() : replayView();
  if (!v) return;
  renderCluster(v);
  const sig = JSON.stringify([v.nodes.map((x) => [x.up, x.paused, x.role, x.term, x.voted_for, x.commit, x.applied, x.last, x.snapshot_index, x.terms.size]), !!v.failure, S.selected, S.mode]);
  if (sig === logSig) { renderTimeline(v); renderStatus(v); return; }
  logSig = sig;
  renderLogs(v);
  renderFailure(v.failure);
  renderNodePanel(v);
  renderTimeline(v);
  renderStatus(v);
}

function renderStatus(v) {
  $('clock').textContent = 't = ' + secs(v.now);
  if (S.mode === 'live' && S.state) setStatus(`${S.state.events} events · hash ${S.state.hash}`);
  else if (S.replay) setStatus(`replay · ${S.replay.events.length} events · hash ${(S.replay.tr.result && S.replay.tr.result.hash) || '?'}`);
}

function nodePos(i, n) {
  const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
  const r = n > 5 ? 235 : 200; // room for the labels between six or seven nodes
  return [Math.cos(a) * r, Math.sin(a) * r];
}

// animMs: at high speed many rounds of messages go by per second of real
// time; a shorter animation keeps them from piling up on the links.
const animMs = () => Math.max(150, Math.min(ANIM_MS, ANIM_MS / S.speed));

// The cluster is drawn in two layers: the links and nodes, rebuilt only
// when what they show changes (so a click never lands on an element that
// a frame replaced), and the messages, redrawn every frame.
let staticSig = '';
function renderCluster(v) {
  const svg = $('cluster');
  const n = v.nodes.length;
  const culprits = new Set(v.failure && v.failure.nodes || []);
  const sig = JSON.stringify([v.nodes.map((x) => [x.up, x.paused, x.role, x.term, x.voted_for, x.commit]), v.cut, S.selected, [...culprits]]);
  let layers = svg.querySelector('#staticLayer');
  if (!layers) {
    svg.textContent = '';
    svg.append(el('g', { id: 'linkLayer' }), el('g', { id: 'msgLayer' }), el('g', { id: 'staticLayer' }));
    layers = svg.querySelector('#staticLayer');
    staticSig = '';
  }
  if (sig !== staticSig && !(drag && drag.moved)) {
    staticSig = sig;
    drawStatic(v, n, culprits, svg.querySelector('#linkLayer'), layers);
  }
  drawMessages(v, n, svg.querySelector('#msgLayer'));
}

function drawStatic(v, n, culprits, linkLayer, nodeLayer) {
  linkLayer.textContent = '';
  nodeLayer.textContent = '';
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [x1, y1] = nodePos(i, n);
      const [x2, y2] = nodePos(j, n);
      const both = v.cut[i][j] && v.cut[j][i];
      const one = v.cut[i][j] || v.cut[j][i];
      const g = el('g', { 'data-link': `${i}-${j}`, 'data-cut': both ? 'both' : one ? 'one' : 'none' });
      const line = el('line', { x1, y1, x2, y2, class: 'link' + (both ? ' cut' : one ? ' half' : '') });
      const hit = el('line', { x1, y1, x2, y2, class: 'linkhit' });
      const title = el('title', {}, both ? `link n${i}–n${j} cut: click to mend` : `link n${i}–n${j}: click to cut`);
      g.append(line, hit, title);
      if (one) g.append(el('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle', 'font-size': 13, fill: '#D55E00', class: 'cutlabel' }, both ? 'cut' : 'cut one way'));
      linkLayer.append(g);
    }
  }
  for (const node of v.nodes) {
    const [x, y] = nodePos(node.id, n);
    const cls = ['node', node.up ? node.role : 'down'];
    if (node.paused) cls.push('paused');
    if (node.id === S.selected) cls.push('selected');
    if (culprits.has(node.id)) cls.push('culprit');
    const g = el('g', { class: cls.join(' '), transform: `translate(${x},${y})`, 'data-node': node.id, tabindex: 0, role: 'button',
      'aria-label': `node ${node.id}, ${node.up ? node.role : 'down'}, term ${node.term}` });
    g.append(el('circle', { r: 48, class: 'body' }), el('circle', { r: 56, class: 'ring', fill: 'none' }));
    const roleText = !node.up ? 'DOWN' : ROLE_TEXT[node.role] || node.role;
    g.append(el('text', { y: -15, class: 'inner name' }, `n${node.id}`));
    g.append(el('text', { y: 3, class: 'inner role' }, roleText));
    g.append(el('text', { y: 20, class: 'inner' }, `term ${node.term}`));
    if (node.paused) g.append(el('text', { y: 34, class: 'inner', 'font-size': 11 }, 'PAUSED'));
    const vote = node.voted_for >= 0 ? `vote n${node.voted_for}` : 'no vote';
    g.append(el('text', { y: 72, class: 'under' }, `${vote} · commit ${node.commit}`));
    nodeLayer.append(g);
  }
}

function drawMessages(v, n, layer) {
  layer.textContent = '';
  for (const m of v.msgs) {
    if (m.from < 0 || m.to < 0 || m.from >= n || m.to >= n) continue;
    const [x1, y1] = nodePos(m.from, n);
    const [x2, y2] = nodePos(m.to, n);
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const off = m.from < m.to ? 8 : -8; // the two directions travel side by side
    const nx = -(y2 - y1) / len * off;
    const ny = (x2 - x1) / len * off;
    const edge = Math.min(0.4, 60 / len); // start and end at the circles' edges
    const p = edge + (1 - 2 * edge) * Math.min(1, Math.max(0, m.p));
    const x = x1 + (x2 - x1) * p + nx;
    const y = y1 + (y2 - y1) * p + ny;
    const k = msgAbbrev(m.kind);
    const g = el('g', { class: 'msg', transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    g.append(el('rect', { x: -13, y: -8, width: 26, height: 16, rx: 4, fill: k.reply ? '#fff' : k.colour, stroke: k.colour, 'stroke-width': 2 }));
    const t = el('text', { y: 4 }, k.ab);
    if (k.reply) t.setAttribute('style', `fill:${k.colour}`);
    g.append(t);
    layer.append(g);
  }
  const nowMs = performance.now();
  S.drops = S.drops.filter((d) => nowMs - d.born < 1500);
  for (const d of S.drops) {
    if (d.from < 0 || d.to < 0 || d.from >= n || d.to >= n) continue;
    const [x1, y1] = nodePos(d.from, n);
    const [x2, y2] = nodePos(d.to, n);
    const x = x1 + (x2 - x1) * d.at;
    const y = y1 + (y2 - y1) * d.at;
    const g = el('g', { class: 'drop', opacity: (1 - (nowMs - d.born) / 1500).toFixed(2) });
    g.append(el('text', { x, y: y + 4 }, `✕ ${msgAbbrev(d.kind || '').ab} lost`));
    layer.append(g);
  }
}

function onClusterClick(e) {
  if (suppressClick) { suppressClick = false; return; }
  const node = e.target.closest('[data-node]');
  if (node) { selectNode(+node.dataset.node); return; }
  const link = e.target.closest('[data-link]');
  if (link && S.mode === 'live') {
    const [i, j] = link.dataset.link.split('-').map(Number);
    toggleLink(i, j, link.dataset.cut === 'both');
  }
}

// Dragging a node onto another puts it in that node's group; dragging it
// away from every node gives it a group of its own. The partition applies
// on release (one group left means the network heals).
let drag = null;
let suppressClick = false;
function svgPoint(e) {
  const svg = $('cluster');
  const pt = svg.createSVGPoint();
  pt.x = e.clientX;
  pt.y = e.clientY;
  return pt.matrixTransform(svg.getScreenCTM().inverse());
}

function onPointerDown(e) {
  const g = e.target.closest('[data-node]');
  if (!g || S.mode !== 'live' || !S.cfg) return;
  drag = { id: +g.dataset.node, g, x0: e.clientX, y0: e.clientY, moved: false };
}

function onPointerMove(e) {
  if (!drag) return;
  if (!drag.moved && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) < 8) return;
  drag.moved = true;
  drag.p = svgPoint(e);
  drag.g.setAttribute('transform', `translate(${drag.p.x.toFixed(1)},${drag.p.y.toFixed(1)})`);
  drag.g.classList.add('dragging');
}

// currentGroups returns each node's group: the nodes that can reach each
// other (links not cut both ways) under this branch's actions up to now.
function currentGroups() {
  const n = S.cfg.nodes;
  const cut = linkState(S.actions.filter((a) => a.at_us <= S.state.now_us), n);
  const g = Array(n).fill(-1);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (g[i] >= 0) continue;
    const stack = [i];
    g[i] = k;
    while (stack.length) {
      const a = stack.pop();
      for (let b = 0; b < n; b++) if (g[b] < 0 && !(cut[a][b] && cut[b][a])) { g[b] = k; stack.push(b); }
    }
    k++;
  }
  return g;
}

function onPointerUp() {
  if (!drag) return;
  const d = drag;
  drag = null;
  if (!d.moved) return; // a click: the click handler selects the node
  suppressClick = true;
  setTimeout(() => { suppressClick = false; }, 0);
  const n = S.cfg.nodes;
  let target = -1;
  for (let j = 0; j < n; j++) {
    const [x, y] = nodePos(j, n);
    if (j !== d.id && Math.hypot(d.p.x - x, d.p.y - y) < 70) target = j;
  }
  const g = currentGroups();
  g[d.id] = target >= 0 ? g[target] : Math.max(...g) + 1;
  const ids = [...new Set(g)];
  const groups = ids.map((id) => g.map((x, i) => (x === id ? i : -1)).filter((i) => i >= 0));
  S.groups = g.map((x) => Math.min(ids.indexOf(x), 2));
  renderGroups();
  staticSig = '';
  const action = groups.length > 1 ? { type: 'partition', groups } : { type: 'heal' };
  act(action).then(render, showError);
}

function renderLogs(v) {
  const box = $('logs');
  box.textContent = '';
  let hi = 0;
  for (const nd of v.nodes) hi = Math.max(hi, nd.last || 0, nd.snapshot_index || 0);
  const width = window.innerWidth < 820 ? Math.max(8, Math.floor((window.innerWidth - 150) / 21)) : MAX_WINDOW;
  const lo = Math.max(1, hi - width + 1);
  const hl = new Set(v.failure && v.failure.indexes || []);
  const culprits = new Set(v.failure && v.failure.nodes || []);
  const head = document.createElement('div');
  head.className = 'logrow idxrow';
  head.innerHTML = `<span class="who muted">${lo > 1 ? `index (… ${lo - 1} earlier)` : 'index'}</span>`;
  const hc = document.createElement('div');
  hc.className = 'cells';
  for (let i = lo; i <= hi; i++) { const c = document.createElement('span'); c.className = 'cell'; c.textContent = i; hc.append(c); }
  head.append(hc);
  box.append(head);
  for (const nd of v.nodes) {
    const row = document.createElement('div');
    row.className = 'logrow' + (culprits.has(nd.id) ? ' culprit' : '');
    row.dataset.node = nd.id;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = `n${nd.id} ${nd.up ? (ROLE_TEXT[nd.role] || nd.role) : 'DOWN'} t${nd.term}`;
    who.title = `commit ${nd.commit}, applied ${nd.applied}, snapshot ${nd.snapshot_index}/${nd.snapshot_term}`;
    const cells = document.createElement('div');
    cells.className = 'cells';
    for (let i = lo; i <= hi; i++) {
      const c = document.createElement('span');
      const cl = ['cell'];
      if (i <= nd.snapshot_index) { cl.push('snap'); c.textContent = 'S'; c.title = `index ${i}: in the snapshot (through ${nd.snapshot_index}/${nd.snapshot_term})`; }
      else if (i <= nd.last) {
        const t = nd.terms.get(i);
        if (t === undefined) { cl.push('unknown'); c.textContent = '?'; }
        else { c.textContent = t; c.style.background = termColour(t); c.style.color = termText(t); c.title = `index ${i}, term ${t}`; }
      } else cl.push('empty');
      if (i === nd.commit) cl.push('commit');
      if (i === nd.applied) cl.push('applied');
      if (hl.has(i) && (culprits.size === 0 || culprits.has(nd.id))) cl.push('hl');
      c.className = cl.join(' ');
      cells.append(c);
    }
    row.append(who, cells);
    box.append(row);
  }
}

function renderFailure(f) {
  const p = $('failure');
  if (!f) { p.hidden = true; return; }
  p.hidden = false;
  const at = f.at_us !== undefined ? f.at_us : f.t;
  p.innerHTML = '';
  const h = document.createElement('h2');
  h.textContent = `✕ ${f.kind || 'failure'}: ${f.rule}${f.paper ? ' (' + f.paper + ')' : ''}`;
  const meta = document.createElement('div');
  meta.className = 'mono small';
  meta.textContent = [f.nodes && f.nodes.length ? 'nodes ' + f.nodes.map((x) => 'n' + x).join(', ') : '',
    f.terms && f.terms.length ? 'terms ' + f.terms.join(', ') : '',
    f.indexes && f.indexes.length ? 'indexes ' + f.indexes.join(', ') : '',
    at !== undefined ? 'at ' + secs(at) : ''].filter(Boolean).join(' · ');
  const pre = document.createElement('pre');
  pre.textContent = f.message || '';
  p.append(h, meta, pre);
  if (S.mode === 'replay') {
    const b = document.createElement('button');
    b.textContent = 'Jump to failure';
    b.addEventListener('click', jumpToFailure);
    p.append(b);
  }
}

function renderNodePanel(v) {
  const p = $('nodePanel');
  const nd = v.nodes[S.selected];
  if (!nd) { p.hidden = true; return; }
  p.hidden = false;
  $('nodeTitle').textContent = `n${nd.id}`;
  const lines = [
    `${nd.up ? (ROLE_TEXT[nd.role] || nd.role) : 'DOWN'}${nd.paused ? ', paused' : ''} · term ${nd.term} · ${nd.voted_for >= 0 ? 'voted for n' + nd.voted_for : 'no vote'}`,
    `log ${nd.last} · commit ${nd.commit} · applied ${nd.applied} · snapshot ${nd.snapshot_index}/${nd.snapshot_term}`,
  ];
  if (nd.role === 'leader' && nd.next && nd.next.length) lines.push(`next [${nd.next.join(', ')}] · match [${(nd.match || []).join(', ')}]`);
  $('nodeInfo').textContent = lines.join('\n');
  $('nodeInfo').style.whiteSpace = 'pre-line';
  const live = S.mode === 'live';
  $('crash').disabled = !live || !nd.up;
  $('restart').disabled = !live || nd.up;
  $('pause').disabled = !live || !nd.up;
  $('pause').textContent = nd.paused ? 'Resume' : 'Pause';
  $('isolate').disabled = !live;
}

function renderTimeline(v) {
  const tl = $('timeline');
  if (S.mode === 'live') {
    tl.max = S.maxT;
    tl.value = v.now;
    $('timelineOut').textContent = `${secs(v.now)} of ${secs(S.maxT)}`;
  } else {
    const r = S.replay;
    tl.max = r.tr.events.length;
    tl.value = r.cursor + 1;
    $('timelineOut').textContent = `event ${r.cursor + 1} of ${r.tr.events.length}`;
  }
}

function renderGroups() {
  const box = $('groups');
  box.textContent = '';
  const n = S.cfg ? S.cfg.nodes : 0;
  for (let i = 0; i < n; i++) {
    const lab = document.createElement('span');
    lab.textContent = `n${i}`;
    const btns = document.createElement('span');
    btns.className = 'gbtns';
    ['A', 'B', 'C'].forEach((name, k) => {
      const b = document.createElement('button');
      b.textContent = name;
      b.dataset.node = i;
      b.dataset.group = k;
      b.className = S.groups[i] === k ? 'on' : '';
      b.setAttribute('aria-pressed', S.groups[i] === k);
      b.addEventListener('click', () => { S.groups[i] = k; renderGroups(); });
      btns.append(b);
    });
    box.append(lab, btns);
  }
}

// -------------------------------------------------------------- controls

function selectNode(i) {
  S.selected = S.selected === i ? -1 : i;
  render();
}

function toggleLink(i, j, isCut) {
  const type = isCut ? 'mend' : 'cut';
  act({ type, from: i, to: j }).then(() => act({ type, from: j, to: i })).catch(showError);
}

function updatePlay() {
  $('play').textContent = S.playing ? '❚❚ Pause' : '▶ Play';
  $('play').classList.toggle('on', S.playing);
}

function setSpeed(exp) {
  exp = Math.max(-1, Math.min(2, exp));
  $('speed').value = exp;
  S.speed = Math.pow(10, exp);
  $('speedOut').textContent = (S.speed < 1 ? S.speed.toFixed(1) : S.speed < 10 ? S.speed.toFixed(1) : Math.round(S.speed)) + '×';
}

function readCfg() {
  return {
    nodes: +$('nodes').value,
    seed: Math.max(1, Math.floor(+$('seed').value || 1)),
    prevote: $('prevote').checked,
    checkquorum: $('checkquorum').checked,
    drop: +$('drop').value,
    dup: +$('dup').value,
    delay_min_ms: +$('dmin').value,
    delay_max_ms: Math.max(+$('dmin').value, +$('dmax').value),
    snapshot_every: Math.max(0, Math.floor(+$('snapEvery').value || 0)),
  };
}

function writeCfg(c) {
  $('nodes').value = c.nodes;
  $('seed').value = c.seed;
  $('prevote').checked = c.prevote;
  $('checkquorum').checked = c.checkquorum;
  $('drop').value = c.drop;
  $('dup').value = c.dup;
  $('dmin').value = c.delay_min_ms;
  $('dmax').value = c.delay_max_ms;
  $('snapEvery').value = c.snapshot_every;
  syncOutputs();
}

function syncOutputs() {
  $('dropOut').textContent = Math.round($('drop').value * 100) + '%';
  $('dupOut').textContent = Math.round($('dup').value * 100) + '%';
  $('dminOut').textContent = $('dmin').value + ' ms';
  $('dmaxOut').textContent = $('dmax').value + ' ms';
}

// ------------------------------------------------------------------- URL

// The URL's hash holds the settings, the actions and the time: opening it
// re-creates the world and advances it to that time, which gives the same
// state (the same hash) on any machine.
function shareUrl() {
  const c = S.cfg;
  const p = new URLSearchParams({
    n: c.nodes, seed: c.seed, pv: c.prevote ? 1 : 0, cq: c.checkquorum ? 1 : 0, drop: c.drop, dup: c.dup,
    dmin: c.delay_min_ms, dmax: c.delay_max_ms, snap: c.snapshot_every, t: S.state ? S.state.now_us : 0,
  });
  const acts = S.actions.filter((a) => !S.state || a.at_us <= S.state.now_us);
  if (acts.length) p.set('a', JSON.stringify(acts));
  return location.origin + location.pathname + '#' + p.toString();
}

function parseUrl() {
  if (!location.hash || location.hash.length < 2) return null;
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has('seed')) return null;
  const num = (k, d) => (p.has(k) ? +p.get(k) : d);
  const cfg = {
    nodes: num('n', 5), seed: num('seed', 1), prevote: p.get('pv') === '1', checkquorum: p.get('cq') === '1',
    drop: num('drop', 0), dup: num('dup', 0), delay_min_ms: num('dmin', 1), delay_max_ms: num('dmax', 5), snapshot_every: num('snap', 0),
  };
  let actions = [];
  try { actions = p.has('a') ? JSON.parse(p.get('a')) : []; } catch { banner('The link\'s actions could not be read; starting without them.', true); }
  return { cfg, actions, t: num('t', 0) };
}

let urlTimer = 0;
function scheduleUrl() {
  if (S.mode !== 'live' || urlTimer) return;
  urlTimer = setTimeout(() => { urlTimer = 0; if (S.mode === 'live') history.replaceState(null, '', shareUrl()); }, 400);
}

// ---------------------------------------------------------------- replay

// startReplay shows a trace (a failing test's, or a scenario's run).
// The trace's states give each node's role, term, vote and indexes; the
// logs' terms are rebuilt from the events (start, AppendEntries).
function startReplay(tr, info, name) {
  S.playing = false;
  updatePlay();
  S.mode = 'replay';
  const events = tr.events || [];
  // Match every delivery or discard to its send, in FIFO order per link
  // and message (a duplicated send is delivered twice).
  const q = new Map();
  const arrive = new Array(events.length).fill(-1);
  const sendOf = new Array(events.length).fill(-1);
  events.forEach((e, i) => {
    const key = (from, to) => `${from}>${to}|${JSON.stringify(e.msg)}`;
    if (e.kind === 'send' && !e.reason) {
      const k = key(e.node, e.peer);
      if (!q.has(k)) q.set(k, []);
      q.get(k).push(i);
      if (e.fault === 'dup') q.get(k).push(i);
    } else if (e.kind === 'deliver' || e.kind === 'discard') {
      const list = q.get(key(e.peer, e.node));
      if (list && list.length) { const s = list.shift(); sendOf[i] = s; if (arrive[s] < 0) arrive[s] = i; }
    }
  });
  const states = (tr.states || []).slice().sort((a, b) => a.seq - b.seq);
  const failure = info.failure || (tr.result && tr.result.failure) || null;
  S.replay = { tr, name, events, states, arrive, sendOf, failure, cursor: -1, t: 0, model: null };
  const hdr = tr.header || {};
  $('modeText').textContent = `Replaying ${name}: ${hdr.scenario || ''} · seed ${hdr.seed} · ${hdr.implementation || ''} · ${info.ok ? 'passed' : 'FAILED'}`;
  $('modeBar').hidden = false;
  document.body.classList.add('replaying');
  for (const x of document.querySelectorAll('.live-only')) x.hidden = true;
  // filters
  const fNode = $('fNode');
  fNode.length = 1;
  for (let i = 0; i < (hdr.nodes || 0); i++) fNode.add(new Option(`n${i}`, i));
  const fKind = $('fKind');
  fKind.length = 1;
  for (const k of [...new Set(events.map((e) => e.kind))].sort()) fKind.add(new Option(k, k));
  $('eventsPanel').hidden = false;
  $('jumpFailure').disabled = !failure;
  replayTo(failure ? events.length - 1 : -1);
  renderEvents();
}

function emptyModel(n) {
  return {
    pos: -1, si: 0,
    nodes: Array.from({ length: n }, (_, i) => ({ id: i, up: true, paused: false, role: 'follower', term: 0, voted_for: -1, last: 0, commit: 0, applied: 0, snapshot_index: 0, snapshot_term: 0 })),
    logs: Array.from({ length: n }, () => []),
    sent: new Map(),
  };
}

// replayTo moves the replay's cursor to event c (−1: before the first).
function replayTo(c) {
  const r = S.replay;
  c = Math.max(-1, Math.min(c, r.events.length - 1));
  if (!r.model || c < r.model.pos) r.model = emptyModel(r.tr.header.nodes);
  const m = r.model;
  const applyStates = (upto) => {
    while (m.si < r.states.length && r.states[m.si].seq <= upto) {
      const s = r.states[m.si++];
      const nd = m.nodes[s.node];
      Object.assign(nd, { up: s.up, role: s.role, term: s.term, voted_for: s.voted_for, last: s.last_index, commit: s.commit, applied: s.applied, snapshot_index: s.snapshot_index, snapshot_term: s.snapshot_term });
      const log = m.logs[s.node];
      log.length = Math.min(log.length, s.last_index + 1);
      if (s.last_index > 0) log[s.last_index] = s.last_term;
    }
  };
  if (m.pos === -1 && m.si === 0) applyStates(0);
  for (let i = m.pos + 1; i <= c; i++) {
    const e = r.events[i];
    const log = m.logs[e.node];
    if (e.kind === 'start') { log.length = Math.min(log.length, e.index + 1); log[e.index] = e.term; }
    else if (e.kind === 'send' && e.msg && e.msg.kind === 'AppendEntries' && e.msg.entries > 0) {
      m.sent.set(i, log.slice(e.msg.prev_log_index + 1, e.msg.prev_log_index + 1 + e.msg.entries));
    } else if (e.kind === 'deliver' && e.msg && e.msg.kind === 'AppendEntries' && e.msg.entries > 0) {
      const ents = m.sent.get(r.sendOf[i]);
      const prev = e.msg.prev_log_index;
      const nd = m.nodes[e.node];
      const matches = prev === 0 || prev <= nd.snapshot_index || log[prev] === e.msg.prev_log_term;
      if (ents && matches && nd.term <= e.msg.term) {
        ents.forEach((t, k) => {
          const idx = prev + 1 + k;
          if (log[idx] !== undefined && log[idx] !== t) log.length = idx;
          log[idx] = t;
        });
      }
    } else if (e.kind === 'pause') m.nodes[e.node].paused = true;
    else if (e.kind === 'resume') m.nodes[e.node].paused = false;
    applyStates(i + 1);
  }
  m.pos = c;
  r.cursor = c;
  r.t = c >= 0 ? r.events[c].t : 0;
  render();
  markCurrentEvent();
}

function replayView() {
  const r = S.replay;
  const m = r.model;
  const n = r.tr.header.nodes;
  const nodes = m.nodes.map((nd, i) => {
    const terms = new Map();
    m.logs[i].forEach((t, idx) => { if (t !== undefined && idx > 0) terms.set(idx, t); });
    return { ...nd, terms };
  });
  const c = r.cursor;
  const now = c >= 0 ? r.events[c].t : 0;
  const nowMs = performance.now();
  const dur = animMs();
  S.anims = S.anims.filter((a) => nowMs - a.born < dur);
  const msgs = S.anims.map((a) => ({ ...a, p: (nowMs - a.born) / dur }));
  for (let i = Math.max(0, c - 400); i <= c; i++) {
    const e = r.events[i];
    if (e.kind !== 'send' || e.reason) continue;
    const a = r.arrive[i];
    if (a >= 0 && a <= c) continue;
    const at = a >= 0 ? r.events[a].t : e.t + 5000;
    msgs.push({ kind: e.msg.kind, from: e.node, to: e.peer, p: Math.min(1, (now - e.t) / Math.max(1, at - e.t)), summary: msgSummary(e.msg) });
  }
  // links cut by partition/heal events up to the cursor
  const acts = [];
  for (let i = 0; i <= c; i++) {
    const e = r.events[i];
    if (e.kind === 'partition') {
      if (e.groups) acts.push({ type: 'partition', groups: e.groups });
      else if (e.peer >= 0) acts.push({ type: 'cut', from: e.node, to: e.peer });
      else if (e.node >= 0) for (let j = 0; j < n; j++) if (j !== e.node) acts.push({ type: 'cut', from: e.node, to: j }, { type: 'cut', from: j, to: e.node });
    } else if (e.kind === 'heal') {
      if (e.node < 0) acts.push({ type: 'heal' });
      else if (e.peer >= 0) acts.push({ type: 'mend', from: e.node, to: e.peer });
      else for (let j = 0; j < n; j++) if (j !== e.node) acts.push({ type: 'mend', from: e.node, to: j }, { type: 'mend', from: j, to: e.node });
    }
  }
  const failure = r.failure && c === r.events.length - 1 ? r.failure : (r.failure && c >= r.events.length - 1 ? r.failure : null);
  return { nodes, msgs, now, failure, cut: linkState(acts, n) };
}

function replayDropMarkers(from, to) {
  const r = S.replay;
  const born = performance.now();
  for (let i = Math.max(0, from + 1); i <= to; i++) {
    const e = r.events[i];
    if (e.kind === 'send' && !e.reason) addAnim(e, born - (r.events[to].t - e.t) / (1000 * S.speed));
    if (e.kind === 'send' && e.reason) S.drops.push({ from: e.node, to: e.peer, at: 0.35, reason: e.reason, kind: e.msg.kind, born });
    if (e.kind === 'discard') S.drops.push({ from: e.peer, to: e.node, at: 0.7, reason: e.reason, kind: e.msg.kind, born });
  }
  if (S.anims.length > ANIM_MAX) S.anims.splice(0, S.anims.length - ANIM_MAX);
}

function jumpToFailure() {
  if (!S.replay) return;
  replayTo(S.replay.events.length - 1);
}

function renderEvents() {
  const r = S.replay;
  const list = $('events');
  list.textContent = '';
  const fn = $('fNode').value;
  const fk = $('fKind').value;
  let shown = 0;
  for (let i = 0; i < r.events.length && shown < 3000; i++) {
    const e = r.events[i];
    if (fn !== '' && e.node !== +fn && e.peer !== +fn) continue;
    if (fk !== '' && e.kind !== fk) continue;
    const li = document.createElement('li');
    li.dataset.i = i;
    li.textContent = eventText(e);
    li.title = li.textContent;
    if (e.kind === 'failure') li.classList.add('fail');
    if (e.reason) li.classList.add('lost');
    li.addEventListener('click', () => replayTo(i));
    list.append(li);
    shown++;
  }
  markCurrentEvent();
}

function markCurrentEvent() {
  const list = $('events');
  const prev = list.querySelector('li.cur');
  if (prev) prev.classList.remove('cur');
  if (!S.replay) return;
  const li = list.querySelector(`li[data-i="${S.replay.cursor}"]`);
  if (li) { li.classList.add('cur'); li.scrollIntoView({ block: 'nearest' }); }
}

function backToLive() {
  S.mode = 'live';
  S.replay = null;
  S.playing = false;
  updatePlay();
  $('modeBar').hidden = true;
  $('eventsPanel').hidden = true;
  document.body.classList.remove('replaying');
  for (const x of document.querySelectorAll('.live-only')) x.hidden = false;
  render();
  scheduleUrl();
}

async function loadTraceText(text, name) {
  let info;
  try {
    info = await engine.call('loadTrace', text);
  } catch (e) {
    banner(`This trace cannot be replayed: ${e.message}`, true);
    return;
  }
  banner('');
  startReplay(JSON.parse(text), info, name);
}

// ------------------------------------------------------------- play loop

function frame(ts) {
  const dt = S.lastFrame ? Math.min(100, ts - S.lastFrame) : 16;
  S.lastFrame = ts;
  if (S.playing && !S.busy) {
    const simDt = dt * 1000 * S.speed;
    if (S.mode === 'live' && S.state && !S.state.failure) {
      const target = Math.round(S.state.now_us + simDt);
      S.maxT = Math.max(S.maxT, target);
      queue(() => goTo(target, true)).catch((e) => { S.playing = false; updatePlay(); showError(e); });
    } else if (S.mode === 'replay') {
      const r = S.replay;
      r.t += simDt;
      let c = r.cursor;
      while (c + 1 < r.events.length && r.events[c + 1].t <= r.t) c++;
      if (c !== r.cursor) { replayDropMarkers(r.cursor, c); replayTo(c); }
      if (c >= r.events.length - 1) { S.playing = false; updatePlay(); }
    }
  }
  const t0 = performance.now();
  if ((S.playing && S.mode === 'live') || S.drops.length || S.anims.length) {
    if (S.mode === 'live') renderFrame(); else renderCluster(replayView());
  } // animations finish after a pause too
  S.frameMs = performance.now() - t0;
  if (S.playing) { S.frameTimes.push(S.frameMs); if (S.frameTimes.length > 600) S.frameTimes.shift(); }
  requestAnimationFrame(frame);
}

function togglePlay() {
  if (S.mode === 'live' && S.state && S.state.failure) return;
  S.playing = !S.playing;
  if (S.mode === 'replay' && S.playing && S.replay.cursor >= S.replay.events.length - 1) replayTo(-1);
  updatePlay();
}

function step() {
  S.playing = false;
  updatePlay();
  if (S.mode === 'replay') { const c = S.replay.cursor; replayDropMarkers(c, c + 1); replayTo(c + 1); return; }
  queue(async () => {
    const now = S.state.now_us;
    if (now < S.maxT) { S.actions = S.actions.filter((a) => a.at_us <= now); S.maxT = now; }
    setLive(await engine.call('advance', { events: 1 }));
  }).catch(showError);
}

// ------------------------------------------------------------------ wire

function wire() {
  $('play').addEventListener('click', togglePlay);
  $('step').addEventListener('click', step);
  $('speed').addEventListener('input', () => setSpeed(+$('speed').value));
  $('timeline').addEventListener('input', () => {
    const v = +$('timeline').value;
    if (S.mode === 'replay') { replayTo(v - 1); return; }
    // Dragging the handle fires many inputs; going back re-runs the world,
    // so only the latest position is run, once the previous run is done.
    const pending = S.scrubTo !== undefined;
    S.scrubTo = v;
    if (!pending) queue(() => { const t = S.scrubTo; S.scrubTo = undefined; return goTo(t); }).catch(showError);
  });
  for (const id of ['drop', 'dup', 'dmin', 'dmax']) $(id).addEventListener('input', syncOutputs);
  $('crash').addEventListener('click', () => act({ type: 'crash', node: S.selected }).catch(showError));
  $('restart').addEventListener('click', () => act({ type: 'restart', node: S.selected }).catch(showError));
  $('pause').addEventListener('click', () => {
    const nd = S.state.nodes[S.selected];
    act({ type: nd.paused ? 'resume' : 'pause', node: S.selected }).catch(showError);
  });
  $('isolate').addEventListener('click', () => isolate(S.selected));
  $('partition').addEventListener('click', () => {
    const groups = [0, 1, 2].map((k) => S.groups.map((g, i) => (g === k ? i : -1)).filter((i) => i >= 0)).filter((g) => g.length);
    if (groups.length < 2) { banner('Put the nodes in at least two groups first (buttons A, B, C).'); return; }
    banner('');
    act({ type: 'partition', groups }).catch(showError);
  });
  $('heal').addEventListener('click', () => act({ type: 'heal' }).catch(showError));
  $('applyNet').addEventListener('click', () => {
    const c = readCfg();
    act({ type: 'network', drop: c.drop, dup: c.dup, delay_min_ms: c.delay_min_ms, delay_max_ms: c.delay_max_ms }).catch(showError);
  });
  $('proposeForm').addEventListener('submit', (e) => {
    e.preventDefault();
    const cmd = $('command').value.trim();
    if (!cmd) return;
    act({ type: 'propose', command: cmd }).then(() => { $('command').value = ''; }).catch(showError);
  });
  $('newWorld').addEventListener('click', () => { banner(''); newWorld(readCfg()).catch(showError); });
  $('share').addEventListener('click', async () => {
    const url = shareUrl();
    const out = $('shareOut');
    out.hidden = false;
    out.value = url;
    out.select();
    try { await navigator.clipboard.writeText(url); setStatus('link copied'); } catch { /* the field shows it */ }
  });
  $('runScenario').addEventListener('click', runScenario);
  $('backLive').addEventListener('click', backToLive);
  $('jumpFailure').addEventListener('click', jumpToFailure);
  $('fNode').addEventListener('change', renderEvents);
  $('fKind').addEventListener('change', renderEvents);
  $('traceFile').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (f) await loadTraceText(await f.text(), f.name);
  });
  const dz = $('drop-zone');
  for (const t of [document.body, dz]) {
    t.addEventListener('dragover', (e) => { e.preventDefault(); dz.classList.add('over'); });
    t.addEventListener('dragleave', () => dz.classList.remove('over'));
    t.addEventListener('drop', async (e) => {
      e.preventDefault();
      e.stopPropagation();
      dz.classList.remove('over');
      const f = e.dataTransfer.files[0];
      if (f) await loadTraceText(await f.text(), f.name);
    });
  }
  $('cluster').addEventListener('click', onClusterClick);
  $('cluster').addEventListener('pointerdown', onPointerDown);
  window.addEventListener('pointermove', onPointerMove);
  window.addEventListener('pointerup', onPointerUp);
  $('cluster').addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target.dataset.node !== undefined) selectNode(+e.target.dataset.node); });
  document.addEventListener('keydown', onKey);
  window.addEventListener('resize', render);
}

function isolate(i) {
  if (i < 0 || !S.cfg) return;
  const others = [];
  for (let j = 0; j < S.cfg.nodes; j++) if (j !== i) others.push(j);
  act({ type: 'partition', groups: [[i], others] }).catch(showError);
}

function onKey(e) {
  if (e.target.matches('input:not([type=range]):not([type=checkbox]), select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  const live = S.mode === 'live' && S.state;
  if (k === ' ') { e.preventDefault(); togglePlay(); }
  else if (k === '.') step();
  else if (k === '+' || k === '=') setSpeed(+$('speed').value + 0.1);
  else if (k === '-') setSpeed(+$('speed').value - 0.1);
  else if (/^[0-6]$/.test(k)) selectNode(+k);
  else if (k === 'c' && live && S.selected >= 0) act({ type: 'crash', node: S.selected }).catch(showError);
  else if (k === 'r' && live && S.selected >= 0) act({ type: 'restart', node: S.selected }).catch(showError);
  else if (k === 'z' && live && S.selected >= 0) $('pause').click();
  else if (k === 'i' && live) isolate(S.selected);
  else if (k === 'h' && live) act({ type: 'heal' }).catch(showError);
  else if (k === '/') { e.preventDefault(); $('command').focus(); }
  else if (k === 'n' && live) $('newWorld').click();
  else if (k === 'ArrowLeft' || k === 'ArrowRight') {
    e.preventDefault();
    const dir = k === 'ArrowLeft' ? -1 : 1;
    if (S.mode === 'replay') replayTo(S.replay.cursor + dir);
    else if (live) queue(() => goTo(S.state.now_us + dir * 100000)).catch(showError);
  }
}

async function loadScenarios() {
  const list = await engine.call('scenarios');
  const sel = $('scenario');
  const byStage = new Map();
  for (const s of list) {
    if (!byStage.has(s.stage)) byStage.set(s.stage, []);
    byStage.get(s.stage).push(s);
  }
  for (const [stage, scs] of byStage) {
    const og = document.createElement('optgroup');
    og.label = stage;
    for (const s of scs) og.append(new Option(`${s.name} (${s.paper || '—'}, ${s.nodes} nodes)`, JSON.stringify({ stage: s.stage, name: s.name })));
    sel.append(og);
  }
}

async function runScenario() {
  const pick = $('scenario').value;
  if (!pick) return;
  const { stage, name } = JSON.parse(pick);
  const seed = Math.max(1, Math.floor(+$('scenarioSeed').value || 1));
  setStatus(`running ${stage}/${name} seed ${seed}…`);
  try {
    const res = await queue(() => engine.call('runScenario', { stage, name, seed }, SCENARIO_LIMIT_MS));
    const tr = typeof res.trace === 'string' ? JSON.parse(res.trace) : res.trace;
    if (!tr) { banner(`${name} seed ${seed}: ${res.ok ? 'passed' : 'failed'}, but no trace came back`, !res.ok); return; }
    banner('');
    startReplay(tr, { ok: res.ok, failure: res.failure }, `${stage}/${name} seed ${seed}`);
    S.playing = true;
    if (!res.failure) replayTo(-1);
    updatePlay();
  } catch (e) { showError(e); }
}

// The test hook: browser tests read the state through it (the page's own
// pictures are drawn from the same objects).
window.raftlabPage = {
  get mode() { return S.mode; },
  get state() { return S.state; },
  get replay() { return S.replay && { cursor: S.replay.cursor, events: S.replay.events.length, failure: S.replay.failure, header: S.replay.tr.header }; },
  get frameMs() { return S.frameMs; },
  takeFrameTimes() { const f = S.frameTimes; S.frameTimes = []; return f; },
  get restarts() { return engine.restarts; },
  get playing() { return S.playing; },
  shareUrl,
  call: (fn, arg, limit) => engine.call(fn, arg, limit),
  idle: () => chain,
  ready: null,
};

async function main() {
  wire();
  setSpeed(0);
  syncOutputs();
  const t0 = performance.now();
  let version;
  try {
    version = await engine.ready;
  } catch (e) {
    return;
  }
  $('implName').textContent = (version.implementation || '').split('/').slice(-2).join('/');
  $('implName').title = `the Raft implementation running: ${version.implementation}`;
  $('footer').textContent = `${version.implementation || ''} · trace format ${version.trace_format} · raftlab ${version.version} · loaded in ${Math.round(performance.now() - t0)} ms`;
  const fromUrl = parseUrl();
  const traceUrl = new URLSearchParams(location.search).get('trace');
  if (fromUrl) {
    writeCfg(fromUrl.cfg);
    await newWorld(fromUrl.cfg, fromUrl.actions, fromUrl.t);
    setStatus(`reproduced from the link · hash ${S.state.hash}`);
  } else {
    await newWorld(readCfg());
    if (!traceUrl) { S.playing = true; updatePlay(); }
  }
  loadScenarios().catch(showError);
  if (traceUrl) {
    try {
      const resp = await fetch(traceUrl);
      if (!resp.ok) throw new Error(`${resp.status} ${resp.statusText}`);
      await loadTraceText(await resp.text(), traceUrl);
    } catch (e) { banner(`Could not open the trace ${traceUrl}: ${e.message}`, true); }
  }
  document.body.dataset.ready = '1';
  requestAnimationFrame(frame);
  // Offline once loaded (sw.js). Registered only now, so that its
  // fetching the files once more never delays the first load; it needs a
  // secure context (https, or http on localhost), else the page simply
  // stays online-only.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`offline mode unavailable: ${e.message}`));
  }
}

window.raftlabPage.ready = main().catch(showError);
