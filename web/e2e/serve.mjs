// A tiny static server for the browser tests: serves one directory on
// 127.0.0.1 with the right types (application/wasm is needed by
// WebAssembly.instantiateStreaming).
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export async function serve(dir, port = 0) {
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      let p = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
      if (!p.startsWith(root)) { res.writeHead(403).end(); return; }
      if ((await fs.stat(p).catch(() => null))?.isDirectory()) p = path.join(p, 'index.html');
      const body = await fs.readFile(p);
      res.writeHead(200, { 'content-type': TYPES[path.extname(p)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

// Run directly: node e2e/serve.mjs DIR [PORT]
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await serve(process.argv[2] || '.', +(process.argv[3] || 8080));
  console.log(`serving ${process.argv[2] || '.'} at ${s.url}`);
}
