// Package schematest holds only tests: it checks the simulator's traces
// against the published schema of the trace format
// (docs/trace.schema.json).
//
// The tests are a package of their own, not in sim's, because they need a
// JSON Schema validator (github.com/santhosh-tekuri/jsonschema), whose
// package init compiles its metaschemas and keeps them live on the heap.
// In sim's test binary that cost every benchmark of the simulator about
// 18% more instructions (the work of init plus the garbage collector
// marking the metaschemas on every cycle); here it costs only these tests.
// `go list -deps -test ./sim | grep jsonschema` must print nothing.
package schematest
