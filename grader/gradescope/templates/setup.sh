#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder is built: it
# installs Go [[.GoVersion]] (the version of the lab's go.mod), downloads the
# lab's modules, builds the grader and grades the unfilled starter once,
# so that the build cache already holds every package of the lab and
# grading a submission compiles only the submission.
#
# The autograder's root is $AUTOGRADER_ROOT (default /autograder, where
# Gradescope unpacks this zip into source/). SKIP_GO_INSTALL=1 uses the Go
# already on PATH (a test, or an image that has it).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
GO_VERSION="[[.GoVersion]]"

if [ -z "${SKIP_GO_INSTALL:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends ca-certificates curl git
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "setup.sh: no Go tarball for $(uname -m)" >&2; exit 1 ;;
  esac
  curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-${arch}.tar.gz" -o /tmp/go.tar.gz
  rm -rf /usr/local/go
  tar -C /usr/local -xzf /tmp/go.tar.gz
  rm /tmp/go.tar.gz
  export PATH="/usr/local/go/bin:$PATH"
fi

# The caches live under the root, so run_autograder finds what this
# script built whatever HOME it runs with.
mkdir -p "$ROOT/cache" "$ROOT/bin"
export GOCACHE="$ROOT/cache/go-build" GOMODCACHE="$ROOT/cache/mod" GOTOOLCHAIN=local GOFLAGS=-mod=mod
go version

cd "$SRC/lab"
go mod download
go build -o "$ROOT/bin/grader" ./cmd/grader

# Warm the build cache with the grade of the unfilled starter (it fails
# every stage, fast): the same builds a submission's grade makes.
warm=$(mktemp -d)
"$ROOT/bin/grader" grade --lab "$SRC/lab" --rubric "$SRC/rubric.toml" --out "$warm/out" "$SRC/lab/assignments/raft" >"$warm/log" 2>&1 ||
  { echo "setup.sh: warming the cache failed:" >&2; tail -n 40 "$warm/log" >&2; exit 1; }
rm -rf "$warm"
echo "setup.sh: the grader is $ROOT/bin/grader; the cache is warm"
