//go:build js && wasm

// Package bridge exposes the sandbox's API to JavaScript as
// globalThis.raftlab: the only code of the sandbox that touches
// syscall/js. Every function takes a JSON string (or a plain object,
// which it stringifies) and returns a JSON string; errors are
// {"error": "..."}, never a throw.
package bridge

import (
	"runtime/debug"
	"syscall/js"

	"github.com/raftlab/raftlab/wasm/sandbox"
)

// gcPercent is the sandbox's GOGC. Under js/wasm the collector has one
// thread and no helper running beside the program, so each cycle stops
// the simulator: at the default 100 it took a quarter of the CPU of a
// long run (cmd/raftsim, 200 simulated seconds, node --single-threaded:
// 2.1 s of simulation at 100, 1.55 s at 400). The live heap is a few MB,
// so a tab can afford four times that in garbage.
const gcPercent = 400

// Serve registers globalThis.raftlab for impl, sets
// globalThis.raftlabReady = true (and calls globalThis.onRaftlabReady if
// the page defined it), and blocks forever: the functions live as long as
// the Go program.
func Serve(impl sandbox.Impl) {
	debug.SetGCPercent(gcPercent)
	api := sandbox.NewAPI(impl)
	obj := js.Global().Get("Object").New()
	stringify := js.Global().Get("JSON").Get("stringify")
	for _, name := range sandbox.Functions() {
		obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
			arg := ""
			if len(args) > 0 {
				switch a := args[0]; a.Type() {
				case js.TypeString:
					arg = a.String()
				case js.TypeUndefined, js.TypeNull:
				default:
					arg = stringify.Invoke(a).String()
				}
			}
			return api.Call(name, arg) // Call recovers every panic
		}))
	}
	js.Global().Set("raftlab", obj)
	js.Global().Set("raftlabReady", true)
	if f := js.Global().Get("onRaftlabReady"); f.Type() == js.TypeFunction {
		f.Invoke()
	}
	select {}
}
