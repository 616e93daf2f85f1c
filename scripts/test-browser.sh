#!/usr/bin/env bash
# The browser tests of the sandbox page: builds the WebAssembly, puts it
# next to the page in one directory, and drives that directory in headless
# Chromium (web/e2e, node:test + playwright-core). Screenshots land in
# $ARTIFACTS_DIR (default web/artifacts): look at them.
#
#   scripts/test-browser.sh                 # build and test
#   SANDBOX_DIR=/tmp/dist scripts/test-browser.sh   # test a directory already built
#   SKIP_STUDENT=1 scripts/test-browser.sh          # without the cmd/sandbox -impl pass
#
# Needs Node ≥ 20 and npm. Installs Debian's chromium (apt-get) only if
# /usr/bin/chromium is missing, and the npm packages of web/package.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" ]]; then
	echo "== installing chromium (apt-get)"
	sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo apt-get update -q
	$sudo apt-get install -y -q chromium
fi

echo "== npm packages (web/)"
(cd web && if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)

if [[ -z "${SANDBOX_DIR:-}" ]]; then
	SANDBOX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/raftlab-sandbox.XXXXXX")
	SANDBOX_DIR_TMP=$SANDBOX_DIR
	trap 'rm -rf "$SANDBOX_DIR_TMP"' EXIT
	echo "== building the WebAssembly into $SANDBOX_DIR"
	if [[ ! -x scripts/build-wasm.sh ]]; then
		echo "scripts/build-wasm.sh is missing: it builds sandbox.wasm and copies wasm_exec.js" >&2
		exit 1
	fi
	scripts/build-wasm.sh "$SANDBOX_DIR"
	# The page's files: the ones package web embeds (web/embed.go).
	for f in $(go list -f '{{join .EmbedFiles " "}}' ./web); do cp "web/$f" "$SANDBOX_DIR"/; done
fi
export SANDBOX_DIR
export ARTIFACTS_DIR=${ARTIFACTS_DIR:-$root/web/artifacts}

echo "== the failing-trace fixture is still a current trace"
go test -tags raftlab_e2e ./web/e2e/fixturegen

echo "== browser tests (screenshots in $ARTIFACTS_DIR)"
(cd web && node --test --test-concurrency=1 e2e/)

# The student-code path: cmd/sandbox builds the WebAssembly with a
# package of our own and serves the page; the page must load and run it.
# The default is the votes-twice Raft, so that the live checkers are seen
# to stop a run (STUDENT_IMPL=./assignments/raft runs the starter).
if [[ "${SKIP_STUDENT:-}" != 1 ]]; then
	impl=${STUDENT_IMPL:-./web/e2e/brokenraft}
	echo "== student code: go run ./cmd/sandbox -impl $impl"
	bin=$(mktemp -d "${TMPDIR:-/tmp}/raftlab-sandbox-cmd.XXXXXX")
	go build -o "$bin/sandbox" ./cmd/sandbox
	port=$((20000 + RANDOM % 20000))
	# web/e2e/brokenraft builds only with this tag (it imports the reference).
	GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=raftlab_e2e" "$bin/sandbox" -impl "$impl" -addr "127.0.0.1:$port" &
	pid=$!
	trap 'kill "$pid" 2>/dev/null || true; rm -rf "$bin" "${SANDBOX_DIR_TMP:-}"' EXIT
	# The build takes a while on a busy machine; wait for the server.
	node -e '
		const url = process.argv[1], end = Date.now() + 300000;
		(async () => { for (;;) { try { if ((await fetch(url)).ok) return; } catch {} if (Date.now() > end) { console.error("cmd/sandbox did not serve " + url); process.exit(1); } await new Promise((r) => setTimeout(r, 500)); } })();
	' "http://127.0.0.1:$port/"
	(cd web && STUDENT_IMPL="$impl" SANDBOX_URL="http://127.0.0.1:$port/" node --test --test-concurrency=1 --test-name-pattern='student code|checkers live' e2e/)
	kill "$pid"
	wait "$pid" 2>/dev/null || true
fi
