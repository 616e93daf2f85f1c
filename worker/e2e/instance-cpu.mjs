// CPU per fresh Go instance of a syumai Worker, from instantiation to
// workers.Ready, as worker.mjs makes one for every request: the floor under
// every request the Go handler answers.
//
//   node e2e/instance-cpu.mjs build/app.wasm 30
import fs from 'node:fs';
const dir = new URL('../build', import.meta.url).pathname;
await import(dir + '/wasm_exec.js');
const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const n = +process.argv[3] || 20;
async function once() {
  const go = new Go();
  let ready; const p = new Promise((r) => (ready = r));
  globalThis.context = { env: {}, ctx: {}, binding: {} };
  const inst = new WebAssembly.Instance(mod, { ...go.importObject, workers: { ready: () => ready() } });
  go.run(inst, globalThis.context);
  await p;
}
await once();
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < n; i++) await once();
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(`${process.argv[2]}: ${((c.user + c.system) / 1000 / n).toFixed(2)} ms CPU, ${(t / n).toFixed(2)} ms wall per instance`);
