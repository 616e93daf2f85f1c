// The Web Worker that runs the simulator. The WebAssembly (Go's
// wasm_exec.js + sandbox.wasm) lives here, not on the page, so that a
// Raft implementation that spins never freezes the tab: the page times
// each call and terminates this Worker when one overruns.
//
// Protocol. Page → worker: {id, fn, arg}, fn one of the functions of
// globalThis.raftlab, arg a value (sent to Go as JSON text). Worker →
// page: {id, result} with the parsed JSON, or {id, error}. When the
// WebAssembly is ready the worker posts {ready: true, version} once, or
// {fatal: message} if it could not start.
'use strict';

let api = null;

async function boot() {
  try {
    // The WebAssembly's download starts before wasm_exec.js is fetched
    // and run (importScripts blocks), not after: one round trip less.
    const wasm = fetch('sandbox.wasm');
    importScripts('wasm_exec.js');
    const go = new Go();
    let result;
    if (WebAssembly.instantiateStreaming) {
      result = await WebAssembly.instantiateStreaming(wasm, go.importObject);
    } else {
      const bytes = await (await wasm).arrayBuffer();
      result = await WebAssembly.instantiate(bytes, go.importObject);
    }
    go.run(result.instance); // main registers globalThis.raftlab and blocks
    // Registration happens synchronously during run's first slice on Go's
    // side, but wait a little in case it does not.
    for (let i = 0; i < 200 && !globalThis.raftlab; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!globalThis.raftlab) throw new Error('sandbox.wasm started but did not register globalThis.raftlab');
    api = globalThis.raftlab;
    postMessage({ ready: true, version: JSON.parse(api.version()) });
  } catch (e) {
    postMessage({ fatal: String(e && e.message || e) });
  }
}

onmessage = (ev) => {
  const { id, fn, arg } = ev.data;
  if (!api) { postMessage({ id, error: 'the simulator is not loaded yet' }); return; }
  try {
    if (typeof api[fn] !== 'function') throw new Error('no such function: ' + fn);
    const text = arg === undefined ? api[fn]() : api[fn](typeof arg === 'string' ? arg : JSON.stringify(arg));
    const result = typeof text === 'string' ? JSON.parse(text) : text;
    if (result && typeof result === 'object' && !Array.isArray(result) && typeof result.error === 'string' && Object.keys(result).length === 1) {
      postMessage({ id, error: result.error });
    } else {
      postMessage({ id, result });
    }
  } catch (e) {
    postMessage({ id, error: String(e && e.message || e) });
  }
};

boot();
