#!/usr/bin/env bash
# Builds the serverless host into worker/build (the Worker: worker.mjs,
# runtime.mjs, syumai's wasm_exec.js and app.wasm, the Go handler, and
# trace-validator.mjs, the trace schema compiled to JavaScript) and
# worker/dist (the static assets: the sandbox page, its sandbox.wasm and
# the wasm_exec.js of the Go that built it, and _headers). Prints the
# Worker's size, raw and gzip -9 (Cloudflare's free plan allows 3 MiB
# compressed, the paid plan 10 MiB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$here"

go tool workers-assets-gen -mode=go -o build >/dev/null
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o build/app.wasm ./cmd/worker
node validator.mjs # build/trace-validator.mjs, from docs/trace.schema.json

rm -rf dist.new && mkdir dist.new
bash "$root/scripts/build-wasm.sh" dist.new >/dev/null
# The page's files are the ones package web embeds for cmd/sandbox: one
# list, in web/embed.go.
page=$(cd "$root" && go list -f '{{join .EmbedFiles " "}}' ./web)
for f in $page; do cp "$root/web/$f" dist.new/; done
# The page's files change with each build: revalidate them. Workers
# assets already send an ETag, so a revalidation costs a 304.
cat > dist.new/_headers <<'HEADERS'
/*
  Cache-Control: public, max-age=0, must-revalidate
  X-Content-Type-Options: nosniff
HEADERS
rm -rf dist && mv dist.new dist

raw=$(cat build/app.wasm build/*.mjs build/wasm_exec.js entry.mjs | wc -c)
gz=$( (gzip -9 -c build/app.wasm; cat build/*.mjs build/wasm_exec.js entry.mjs | gzip -9 -c) | wc -c)
echo "worker bundle: $raw bytes raw, $gz bytes gzip -9 (free plan: 3145728)"
