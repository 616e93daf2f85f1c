// Package web holds the browser sandbox's page: index.html, app.js (the UI),
// worker.js (the Web Worker that runs the WebAssembly), style.css and sw.js
// (the service worker that keeps the page working offline). They
// are plain files with no build step; Files embeds them for cmd/sandbox,
// which serves them next to a freshly built sandbox.wasm.
package web

import "embed"

// Files is the page, without the WebAssembly (sandbox.wasm and its
// wasm_exec.js come from the build).
//
//go:embed index.html app.js worker.js style.css sw.js
var Files embed.FS
