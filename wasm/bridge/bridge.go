//go:build js && wasm

// Package bridge exposes the sandbox's API to JavaScript as
// globalThis.raftlab: the only code of the sandbox that touches
// syscall/js. Every function takes a JSON string (or a plain object,
// which it stringifies) and returns a JSON string; errors are
// {"error": "..."}, never a throw.
package bridge

import (
	"github.com/raftlab/raftlab/wasm/sandbox"

	"syscall/js"
)

// Serve registers globalThis.raftlab for impl, sets
// globalThis.raftlabReady = true (and calls globalThis.onRaftlabReady if
// the page defined it), and blocks forever: the functions live as long as
// the Go program.
func Serve(impl sandbox.Impl) {
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
