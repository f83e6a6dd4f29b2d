#!/usr/bin/env node
/**
 * The architecture check (docs/ARCHITECTURE.md, "Parts and arrows"): reads every import of src/ and web/
 * and fails on an arrow the layering does not allow, or a cycle between parts. `npm run lint:arch`;
 * test/architecture.test.ts runs it with the suite. Type-only imports count: they are arrows too.
 *
 *   core ← tensor ← ops ← nn ← train ← rejuv        (each part may import the parts below it)
 *   data → tensor, core          backends (kernels/cpu, kernels/webgpu) → core only
 *   kernels/index.ts (backend construction) → core and the backends
 *   web → rejuv, train, data, nn and below (web/checks is a test harness: anything)
 *   cli, src/index.ts, src/init.ts → anything; bench and test are not checked
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BELOW = { core: [], tensor: ['core'], ops: ['core', 'tensor'], nn: ['core', 'tensor', 'ops'], data: ['core', 'tensor'] };
BELOW.train = ['core', 'tensor', 'ops', 'nn', 'data'];
BELOW.rejuv = [...BELOW.train, 'train'];
export const ALLOWED = {
  ...BELOW,
  'kernels/cpu': ['core'],
  'kernels/webgpu': ['core', 'shaders'],
  kernels: ['core', 'kernels/cpu', 'kernels/webgpu'],
  web: [...BELOW.rejuv, 'rejuv', 'entry'],
  cli: '*',
  entry: '*',
  'web/checks': '*',
};

/** The part a file belongs to (null: not checked). */
export function partOf(rel) {
  const p = rel.split(sep).join('/');
  if (p.startsWith('shaders/')) return 'shaders';
  if (p.startsWith('web/checks/')) return 'web/checks';
  if (p.startsWith('web/')) return 'web';
  if (!p.startsWith('src/')) return null;
  const r = p.slice(4).split('/');
  if (r.length === 1) return 'entry'; // src/index.ts, src/init.ts, ambient .d.ts
  if (r[0] === 'kernels') return r.length > 2 ? `kernels/${r[1]}` : 'kernels';
  return r[0];
}

const strip = (src) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function files(root, dir, out = []) {
  for (const f of readdirSync(join(root, dir))) {
    const p = join(dir, f);
    if (statSync(join(root, p)).isDirectory()) files(root, p, out);
    else if (/\.ts$/.test(f) && !f.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** All import edges between files of src/ and web/ (relative specifiers only). */
export function importEdges(root) {
  const edges = [];
  for (const file of [...files(root, 'src'), ...files(root, 'web')]) {
    const src = strip(readFileSync(join(root, file), 'utf8'));
    for (const m of src.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target });
    }
  }
  return edges;
}

/** Arrows the layering does not allow, and cycles between parts. */
export function check(root) {
  const bad = [];
  const partEdges = new Map();
  for (const { from, to } of importEdges(root)) {
    const a = partOf(from), b = partOf(to);
    if (!a || !b || a === b) continue;
    const allowed = ALLOWED[a];
    if (allowed !== '*' && !allowed?.includes(b)) bad.push(`${from} → ${to}: ${a} may not import ${b}`);
    if (!partEdges.has(a)) partEdges.set(a, new Set());
    partEdges.get(a).add(b);
  }
  // Cycles between parts (Tarjan's strongly connected components on the part graph).
  const index = new Map(), low = new Map(), stack = [], on = new Set(), cycles = [];
  let n = 0;
  const visit = (v) => {
    index.set(v, n); low.set(v, n); n++; stack.push(v); on.add(v);
    for (const w of partEdges.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const v of partEdges.keys()) if (!index.has(v)) visit(v);
  for (const c of cycles) bad.push(`cycle between parts: ${c.join(' ↔ ')}`);
  return { violations: bad, parts: Object.fromEntries([...partEdges].map(([k, v]) => [k, [...v].sort()])) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { violations, parts } = check(root);
  if (process.argv.includes('--graph')) for (const [a, bs] of Object.entries(parts)) console.log(`${a} → ${bs.join(', ')}`);
  if (violations.length) {
    console.error(`lint:arch: ${violations.length} violation(s) of docs/ARCHITECTURE.md's arrows:\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
  console.log('lint:arch: every import follows the arrows of docs/ARCHITECTURE.md; no cycle between parts');
}
