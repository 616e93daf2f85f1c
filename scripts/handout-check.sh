#!/usr/bin/env bash
# The handout boundary holds: the student handout (this repository without
# what .handoutignore lists, with the starter's "//go:build starter" line
# removed, as the grader's handout export makes it: the copy is made by
# go run ./cmd/grader handout) builds, vets clean,
# passes its own tests, and its unfilled starter fails every stage
# readably; and no library package of the full tree imports the reference
# in production code.
#
# Run from anywhere in a git checkout: bash scripts/handout-check.sh
# With -keep, the handout copy is left in place and its path printed.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
if [ "${1:-}" = "-keep" ]; then keep=true; fi

step() { printf '\n==> handout check: %s\n' "$*"; }
fail() { printf '\nhandout check FAILED: %s\n' "$*" >&2; exit 1; }

git rev-parse --git-dir >/dev/null 2>&1 || fail "needs a git checkout (it lists files with git ls-files)"
ignore=.handoutignore
[ -f "$ignore" ] || fail "$ignore is missing"
mod=$(go list -m)
ref="$mod/raft"

# Library packages that may import the reference in production code, each
# with its reason. None may: soak takes its implementation from cmd/soak.
allowed_library_importers=()

step "every line of $ignore still matches a file"
stale=()
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  if [ -z "$(git ls-files -c -o -i --exclude="$line" | head -n 1)" ]; then stale+=("$line"); fi
done <"$ignore"
if [ ${#stale[@]} -gt 0 ]; then
  fail "$(printf '%s\n' "these lines of $ignore match no file (renamed or moved? whatever they named would now slip into the handout):" "${stale[@]/#/  }")"
fi

step "no library package imports the reference ($ref) outside tests"
offenders=$(go list -f '{{if ne .Name "main"}}{{.ImportPath}}{{range .Imports}} {{.}}{{end}}{{end}}' ./... |
  awk -v ref="$ref" '{ if ($1 == ref || index($1, ref "/") == 1) next
    for (i = 2; i <= NF; i++) if ($i == ref || index($i, ref "/") == 1) { print $1; next } }')
bad=()
for p in $offenders; do
  allowed=false
  for a in "${allowed_library_importers[@]}"; do [ "$p" = "$a" ] && allowed=true; done
  if $allowed; then echo "  $p imports the reference (allowed for now: see allowed_library_importers)"
  else bad+=("$p"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  fail "$(printf '%s\n' "these library packages import the reference in non-test code; give them a raftapi.Factory instead (a command may default to raft.New):" "${bad[@]/#/  }")"
fi

step "exporting the handout (go run ./cmd/grader handout: the tree without what $ignore lists)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/raftlab-handout.XXXXXX")
if $keep; then echo "keeping the copy: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
handout="$tmp/raftlab"
# The one implementation of the boundary is the grader's export
# (grader/handout): the same file list (git's tracked and untracked files,
# minus the instructors'), the starter edit, plus the students' README,
# .gitignore, cmd/run and Classroom workflow. It keeps this module path, so
# the checks below read the same import paths.
go run ./cmd/grader handout "$handout"

step "the handout imports nothing it leaves out"
kept=$(cd "$handout" && go list -e -f '{{.ImportPath}}' ./...)
missing=$(cd "$handout" && go list -e -f '{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{range .Imports}} {{.}}{{end}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... |
  while IFS=$'\t' read -r pkg dir imports; do
    for imp in $imports; do
      case "$imp" in "$mod" | "$mod"/*) ;; *) continue ;; esac
      grep -qxF "$imp" <<<"$kept" && continue
      files=$(cd "$dir" && grep -l -F "\"$imp\"" -- *.go | tr '\n' ' ')
      echo "  ${dir#"$handout"/}: ${files% } imports $imp"
    done
  done | sort -u)
if [ -n "$missing" ]; then
  fail "$(printf '%s\n' "the handout would not build: these files it keeps import packages that $ignore leaves out." \
    "$missing" \
    "A test that needs a working Raft belongs in a file named *_reference_test.go; a library takes a raftapi.Factory.")"
fi
echo "  ok: $(wc -l <<<"$kept") packages, all imports inside the handout"

step "go vet ./... in the handout"
(cd "$handout" && go vet ./...) || fail "go vet failed in the handout copy (above)"

# A kept test can still need the reference at run time (one that runs a
# test helper of a file the handout leaves out), so the handout's own
# tests run too: all but the starter's, which fail until a student fills
# it in (the next step checks how).
step "go test in the handout: every package but the unfilled starter"
(cd "$handout" && go test -count=1 $(go list ./... | grep -vxF "$mod/assignments/raft")) ||
  fail "a test the handout keeps failed without what it leaves out (above): move it to a *_reference_test.go file"

step "the handout's unfilled starter fails every stage, fast and readably"
RAFTLAB_STARTER_ROOT="$handout" go test -count=1 ./assignments/startercheck ||
  fail "the starter check failed against the handout copy (above)"

step "the handout boundary holds"
