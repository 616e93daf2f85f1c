// Package web holds the browser sandbox's page: index.html, app.js (the UI),
// worker.js (the Web Worker that runs the WebAssembly) and style.css. They
// are plain files with no build step; Files embeds them for cmd/sandbox,
// which serves them next to a freshly built sandbox.wasm.
package web

import "embed"

// Files is the page, without the WebAssembly (sandbox.wasm and its
// wasm_exec.js come from the build).
//
//go:embed index.html app.js worker.js style.css
var Files embed.FS
