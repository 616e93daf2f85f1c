// Smoke test of the sandbox's WebAssembly on Node, as a page's Worker
// would load it: node wasm/smoke.mjs DIR (DIR holds sandbox.wasm and
// wasm_exec.js, as scripts/build-wasm.sh writes them). It creates a world,
// advances it 3 simulated seconds, finds exactly one leader, checks that a
// second world from the same config has the same hash, and prints one
// line of JSON with the timings. Exit status 0 on success.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '.');
const require = createRequire(import.meta.url);
require(path.join(dir, 'wasm_exec.js')); // defines globalThis.Go

function fail(msg) {
  console.error('smoke: FAIL: ' + msg);
  process.exit(1);
}

function call(name, arg) {
  const out = JSON.parse(globalThis.raftlab[name](arg === undefined ? '' : JSON.stringify(arg)));
  if (out && out.error) fail(`${name}: ${out.error}`);
  return out;
}

const t0 = performance.now();
const go = new globalThis.Go();
const { instance } = await WebAssembly.instantiate(await readFile(path.join(dir, 'sandbox.wasm')), go.importObject);
go.run(instance); // never resolves: the program serves calls until the process exits
if (!globalThis.raftlabReady) fail('globalThis.raftlab was not registered');
const tReady = performance.now();

const version = call('version');
if (version.trace_format !== 2) fail(`trace_format ${version.trace_format}, want 2`);

const cfg = { nodes: 5, seed: 7 };
call('newWorld', cfg);
const t1 = performance.now();
const st = call('advance', { until_us: 3_000_000 });
const t2 = performance.now();
const leaders = st.nodes.filter((n) => n.up && n.role === 'leader');
if (leaders.length !== 1) fail(`want one leader after 3 simulated seconds, got ${leaders.length}`);
if (st.failure) fail(`failure: ${st.failure.rule}`);

const bad = JSON.parse(globalThis.raftlab.act('{"type":"crash","node":9}'));
if (!bad.error) fail('an invalid action must return {"error"}');

const prop = call('act', { type: 'propose', command: 'x=1' });
if (!prop.outcome.accepted) fail('the leader did not accept a command');
const after = call('advance', { for_us: 500_000 });
const committed = after.nodes.filter((n) => n.commit >= prop.outcome.index).length;
if (committed !== 5) fail(`the command committed on ${committed} of 5 nodes`);

call('newWorld', { ...cfg, actions: after.actions });
const again = call('advance', { until_us: after.now_us });
if (again.hash !== after.hash) fail(`re-created world's hash ${again.hash} != ${after.hash}`);

const t3 = performance.now();
const stateRounds = 50;
for (let i = 0; i < stateRounds; i++) globalThis.raftlab.state();
const t4 = performance.now();

console.log(JSON.stringify({
  ok: true, leader: leaders[0].id, term: leaders[0].term, events: st.events,
  load_ms: +(tReady - t0).toFixed(1), advance_3s_ms: +(t2 - t1).toFixed(1),
  state_ms: +((t4 - t3) / stateRounds).toFixed(2), state_bytes: globalThis.raftlab.state().length,
}));
process.exit(0);
