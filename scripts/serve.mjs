// `npm run serve`: a static file server for dist/web on 127.0.0.1 (PORT from the environment, else 8080).
// Also imported by the browser tests, which start it on a free port.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wgsl': 'text/plain; charset=utf-8',
};

/** Start serving `dir`; resolves to { server, url } once listening (port 0 picks a free port). */
export function serve({ dir = join(root, 'dist/web'), host = '127.0.0.1', port = 8080 } = {}) {
  const base = normalize(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(base, path));
    // normalize() resolves '..', so anything outside the served folder is a traversal attempt.
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    // Browsers ask for /favicon.ico on their own; "no content" keeps their consoles free of 404s.
    if (path === '/favicon.ico' && !existsSync(file)) {
      res.writeHead(204).end();
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    // IDX data files have no extension: serve them as bytes.
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({ server, url: `http://${host}:${addr.port}/` });
    });
  });
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const dir = join(root, 'dist/web');
  if (!existsSync(join(dir, 'index.html'))) {
    console.error(`serve: ${dir}/index.html is missing; run \`npm run build\` first`);
    process.exit(1);
  }
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT must be an integer in 0..65535, got '${process.env.PORT}'`);
    process.exit(1);
  }
  serve({ dir, port }).then(
    ({ url }) => console.log(`rejuv: serving ${dir} at ${url} (training page) and ${url}checks.html (op checks); Ctrl-C stops`),
    (e) => { console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}`); process.exit(1); },
  );
}
