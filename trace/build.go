package trace

import (
	"runtime"
	"runtime/debug"
)

// Build says which build of raftlab wrote a trace: with the seed, it is
// what reproduces a run (the simulator is deterministic for one build;
// another build may schedule differently).
//
// The Go toolchain stamps version control information only into binaries
// made by `go build` or `go install` inside a checkout (and not with
// -buildvcs=false). Under `go test` and `go run` there is none: Version is
// "(devel)" and Revision, Time and Modified are empty, so the trace names
// the module and toolchain but not the commit; the replay command must
// then be run in the same checkout.
type Build struct {
	Module   string `json:"module,omitempty"`   // the main module's path
	Version  string `json:"version,omitempty"`  // the main module's version: "(devel)" for a local build, or a (pseudo-)version
	Revision string `json:"revision,omitempty"` // the VCS revision (commit) it was built from
	Time     string `json:"time,omitempty"`     // that revision's commit time, RFC 3339
	Modified bool   `json:"modified,omitempty"` // the checkout had uncommitted changes
	Go       string `json:"go"`                 // the Go version, e.g. "go1.26.0"
	OS       string `json:"os"`                 // GOOS
	Arch     string `json:"arch"`               // GOARCH
}

// CurrentBuild describes the running binary, from runtime/debug's build
// information.
func CurrentBuild() Build {
	b := Build{Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version = bi.Main.Path, bi.Main.Version
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}
