// Command sandbox builds the browser sandbox's WebAssembly with a Raft
// implementation and serves the page locally, so that a student watches
// their own Raft in the browser:
//
//	go run ./cmd/sandbox                          # the reference
//	go run ./cmd/sandbox -impl ./assignments/raft # your package (it must export New, a raftapi.Factory)
//	go run ./cmd/sandbox -impl ./assignments/raft -open
//
// It builds the WebAssembly itself (GOOS=js GOARCH=wasm, as
// scripts/build-wasm.sh does, which the handout lacks); the page is package
// web's files. Open a trace with http://ADDR/?trace=/traces/NAME.json
// after -traces DIR, or drop the file on the page.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/raftlab/raftlab/web"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

type options struct {
	impl, addr, traces, wasmDir string
	open                        bool
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o options
	fl.StringVar(&o.impl, "impl", "", "the Raft package to run (a directory of this module such as ./assignments/raft, or an import path); it must export New, a raftapi.Factory. Empty: the reference")
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8080", "where to serve the page")
	fl.BoolVar(&o.open, "open", false, "open the page in a browser")
	fl.StringVar(&o.traces, "traces", "", "a directory of trace files to serve under /traces/ (open one with ?trace=/traces/NAME.json)")
	fl.StringVar(&o.wasmDir, "wasm", "", "serve sandbox.wasm and wasm_exec.js from this directory instead of building them")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags come first; see -h)", fl.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // both end the server cleanly, removing the build
	defer stop()

	dir := o.wasmDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "raftlab-sandbox-")
		if err != nil {
			return fmt.Errorf("make a build directory: %w", err)
		}
		defer func() { _ = os.RemoveAll(tmp) }() // a leftover temp dir is harmless
		if err := build(ctx, tmp, o.impl, stdout, stderr); err != nil {
			return err
		}
		dir = tmp
	}
	h, err := handler(dir, o.traces)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	name := o.impl
	switch {
	case o.wasmDir != "":
		name = "the build in " + o.wasmDir
	case name == "":
		name = "the reference"
	}
	_, _ = fmt.Fprintf(stdout, "serving the sandbox with %s at %s (Ctrl-C stops)\n", name, url)
	if o.open {
		if err := openBrowser(url); err != nil {
			_, _ = fmt.Fprintf(stderr, "could not open a browser (%v): open %s yourself\n", err, url)
		}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// wasmBuildFlags are scripts/build-wasm.sh's go build flags (a test keeps
// the two equal): the tag leaves the go test side of package labs out, and
// labs is not inlined, to keep the WebAssembly small.
//
// A -tags in $GOFLAGS is kept, added to the sandbox's tag: a -tags on the
// command line replaces GOFLAGS' instead of adding to it.
func wasmBuildFlags(goflags string) []string {
	tags := []string{"raftlab_sandbox"}
	for _, f := range strings.Fields(goflags) {
		if v, ok := strings.CutPrefix(strings.TrimLeft(f, "-"), "tags="); ok {
			tags = append(tags, strings.Split(v, ",")...)
		}
	}
	return []string{"-trimpath", "-tags", strings.Join(tags, ","), "-gcflags=github.com/raftlab/raftlab/labs=-l", "-ldflags=-s -w"}
}

// build writes dir/sandbox.wasm and the matching wasm_exec.js, as
// scripts/build-wasm.sh does; it is done here in Go because the student
// handout has no scripts/. With impl, a generated main (given to go build
// with -overlay, so nothing is written into the tree) imports impl and
// hands its New to the sandbox; without it, wasm/cmd/sandbox runs the
// reference.
func build(ctx context.Context, dir, impl string, stdout, stderr io.Writer) error {
	out, err := goOutput(ctx, "", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return fmt.Errorf("find the module root (run this inside the raftlab checkout): %w", err)
	}
	root := strings.TrimSpace(out)
	wasmOut := filepath.Join(dir, "sandbox.wasm")
	args := append([]string{"build"}, wasmBuildFlags(os.Getenv("GOFLAGS"))...)
	args = append(args, "-o", wasmOut)
	what := "the reference"
	if impl == "" {
		if _, err := os.Stat(filepath.Join(root, "wasm", "cmd", "sandbox")); err != nil {
			return errors.New("this tree has no reference implementation: give your package with -impl ./assignments/raft")
		}
		args = append(args, "./wasm/cmd/sandbox")
	} else {
		if strings.HasPrefix(impl, "./") || strings.HasPrefix(impl, "../") {
			abs, err := filepath.Abs(impl)
			if err != nil {
				return fmt.Errorf("-impl %s: %w", impl, err)
			}
			impl = abs
		}
		pkg, err := goOutput(ctx, root, "list", "-f", "{{.ImportPath}}", impl)
		if err != nil {
			return fmt.Errorf("-impl %s is not a package of this module: %w", impl, err)
		}
		what = strings.TrimSpace(pkg)
		overlay, err := implOverlay(dir, root, what)
		if err != nil {
			return err
		}
		args = append(args, "-overlay", overlay, "./wasm/cmd/sandboximpl")
	}
	_, _ = fmt.Fprintf(stdout, "building the WebAssembly with %s…\n", what)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the WebAssembly with %s: %w (the compiler's errors are above)", what, err)
	}
	goroot, err := goOutput(ctx, root, "env", "GOROOT")
	if err != nil {
		return fmt.Errorf("find GOROOT: %w", err)
	}
	// The loader must come from the Go that built the wasm.
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(goroot), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("read wasm_exec.js: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), js, 0o644); err != nil {
		return fmt.Errorf("write wasm_exec.js: %w", err)
	}
	if fi, err := os.Stat(wasmOut); err == nil {
		_, _ = fmt.Fprintf(stdout, "sandbox.wasm: %d bytes\n", fi.Size())
	}
	return nil
}

// implOverlay writes the generated main for the package pkg and the
// go build -overlay file that places it in wasm/cmd/sandboximpl.
func implOverlay(dir, root, pkg string) (string, error) {
	main := fmt.Sprintf(`//go:build js && wasm

// Generated by cmd/sandbox: the sandbox with %[1]s.
package main

import (
	impl %[1]q

	"github.com/raftlab/raftlab/wasm/bridge"
	"github.com/raftlab/raftlab/wasm/sandbox"
)

func main() { bridge.Serve(sandbox.Impl{Name: %[1]q, Factory: impl.New}) }
`, pkg)
	mainPath := filepath.Join(dir, "main.go")
	if err := os.WriteFile(mainPath, []byte(main), 0o644); err != nil {
		return "", fmt.Errorf("write the generated main: %w", err)
	}
	ov, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, "wasm", "cmd", "sandboximpl", "main.go"): mainPath}})
	if err != nil {
		return "", fmt.Errorf("encode the overlay: %w", err)
	}
	path := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(path, ov, 0o644); err != nil {
		return "", fmt.Errorf("write the overlay: %w", err)
	}
	return path, nil
}

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return string(out), nil
}

// handler serves the page's files, sandbox.wasm and wasm_exec.js from
// dir, and the traces directory under /traces/ if one is given.
func handler(dir, traces string) (http.Handler, error) {
	for _, f := range []string{"sandbox.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("the build left no %s: %w", f, err)
		}
	}
	page := http.FileServerFS(web.Files)
	built := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	mux.Handle("/sandbox.wasm", noCache(built))
	mux.Handle("/wasm_exec.js", noCache(built))
	if traces != "" {
		mux.Handle("/traces/", http.StripPrefix("/traces/", noCache(http.FileServer(http.Dir(traces)))))
	}
	mux.Handle("/", noCache(page))
	if _, err := fs.Stat(web.Files, "index.html"); err != nil {
		return nil, fmt.Errorf("the page is missing from the build: %w", err)
	}
	return mux, nil
}

// noCache keeps a browser from running a stale sandbox.wasm after a rebuild.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm") // instantiateStreaming needs it
		}
		h.ServeHTTP(w, r)
	})
}

func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
