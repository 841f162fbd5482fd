/**
 * A plain static server for the script-tag tests: no COOP/COEP (so no
 * SharedArrayBuffer), and a strict Content-Security-Policy on every response,
 * workers included. Serves dist/lutra/ (npm run build:lib), the bundled model,
 * two embedding pages, the HTML-payload fixture model and the consumer app
 * (test/app, built into test/app/dist).
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../paths.ts';
import { htmlPayloadModel } from './fixtures.ts';

export const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

const embedPage = (model: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plain page</title></head>
<body>
<h1>A plain page with a strict CSP</h1>
<script src="/lutra/lutra.js"></script>
<lutra-chat id="chat" model="${model}" temperature="0" max-tokens="24"></lutra-chat>
</body></html>`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript', '.wasm': 'application/wasm', '.gguf': 'application/octet-stream', '.html': 'text/html',
};

const mounts: Array<[string, string]> = [
  ['/lutra/', path.join(repoRoot, 'dist', 'lutra')],
  ['/models/', path.join(repoRoot, 'demo', 'models')],
  ['/app/', path.join(repoRoot, 'test', 'app', 'dist')],
];
const xssModel = htmlPayloadModel().bytes;

const port = Number(process.argv[2] ?? 5198);
http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  res.setHeader('Content-Security-Policy', STRICT_CSP);
  if (url.pathname === '/embed.html') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(embedPage('/models/stories260K.gguf'));
    return;
  }
  if (url.pathname === '/embed-xss.html') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(embedPage('/fixtures/xss.gguf'));
    return;
  }
  if (url.pathname === '/app/stories260K.gguf') url.pathname = '/models/stories260K.gguf';
  if (url.pathname === '/app/') url.pathname = '/app/index.html';
  if (url.pathname === '/fixtures/xss.gguf') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': xssModel.length }).end(xssModel);
    return;
  }
  for (const [prefix, dir] of mounts) {
    if (!url.pathname.startsWith(prefix)) continue;
    const file = path.resolve(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) break;
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
}).listen(port, '127.0.0.1', () => console.log(`static server on http://127.0.0.1:${port}/`));
