#!/usr/bin/env bash
# The browser tests of the sandbox page: builds the WebAssembly, puts it
# next to the page in one directory, and drives that directory in headless
# Chromium (web/e2e, node:test + playwright-core). Screenshots land in
# $ARTIFACTS_DIR (default web/artifacts): look at them.
#
#   scripts/test-browser.sh                 # build and test
#   SANDBOX_DIR=/tmp/dist scripts/test-browser.sh   # test a directory already built
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
	trap 'rm -rf "$SANDBOX_DIR"' EXIT
	echo "== building the WebAssembly into $SANDBOX_DIR"
	if [[ ! -x scripts/build-wasm.sh ]]; then
		echo "scripts/build-wasm.sh is missing: it builds sandbox.wasm and copies wasm_exec.js" >&2
		exit 1
	fi
	scripts/build-wasm.sh "$SANDBOX_DIR"
	cp web/index.html web/app.js web/worker.js web/style.css "$SANDBOX_DIR"/
fi
export SANDBOX_DIR
export ARTIFACTS_DIR=${ARTIFACTS_DIR:-$root/web/artifacts}

echo "== the failing-trace fixture is still a current trace"
go test ./web/e2e/fixturegen

echo "== browser tests (screenshots in $ARTIFACTS_DIR)"
cd web
node --test --test-concurrency=1 e2e/
