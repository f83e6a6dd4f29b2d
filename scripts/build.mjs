// Build: the Node ESM entry (library, CLI, benchmark) and the browser bundle, WGSL inlined as text,
// plus type declarations. Skips work when outputs are newer than every source.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const newest = (dir) => {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};
const stamp = join(root, 'dist/.stamp');
const srcTime = Math.max(newest(join(root, 'src')), newest(join(root, 'shaders')), newest(join(root, 'bench')), statSync(join(root, 'scripts/build.mjs')).mtimeMs,
  newest(join(root, 'web')), statSync(join(root, 'scripts/web-data.mjs')).mtimeMs);
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).mtimeMs >= srcTime) process.exit(0);

const common = { bundle: true, format: 'esm', sourcemap: true, loader: { '.wgsl': 'text' }, logLevel: 'warning', target: 'es2022' };
const nodeEntries = { index: 'src/index.ts', cli: 'src/cli/main.ts', bench: 'bench/main.ts' };
const entryPoints = Object.fromEntries(Object.entries(nodeEntries).filter(([, p]) => existsSync(join(root, p))));
await esbuild.build({
  ...common, absWorkingDir: root, entryPoints, outdir: 'dist/node', platform: 'node',
  packages: 'external', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
await esbuild.build({ ...common, absWorkingDir: root, entryPoints: { rejuv: 'src/index.ts' }, outdir: 'dist/browser', platform: 'browser', external: ['webgpu'] });
if (existsSync(join(root, 'web/main.ts'))) {
  await esbuild.build({ ...common, absWorkingDir: root, entryPoints: { app: 'web/main.ts' }, outdir: 'dist/web', platform: 'browser', external: ['webgpu'] });
}
// The web page's static parts: HTML/CSS, uPlot's stylesheet, the op-check page's bundle and the MNIST subset.
if (existsSync(join(root, 'web'))) {
  const { copyFileSync, mkdirSync } = await import('node:fs');
  if (existsSync(join(root, 'web/checks/main.ts'))) {
    await esbuild.build({ ...common, absWorkingDir: root, entryPoints: { checks: 'web/checks/main.ts' }, outdir: 'dist/web', platform: 'browser', external: ['webgpu'] });
  }
  mkdirSync(join(root, 'dist/web'), { recursive: true });
  for (const f of readdirSync(join(root, 'web'))) if (/\.(html|css)$/.test(f)) copyFileSync(join(root, 'web', f), join(root, 'dist/web', f));
  copyFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(root, 'dist/web/uPlot.min.css'));
  // The library bundle as published, so the browser tests can import it as users would.
  copyFileSync(join(root, 'dist/browser/rejuv.js'), join(root, 'dist/web/rejuv.js'));
  const { writeWebData } = await import('./web-data.mjs');
  writeWebData(join(root, 'dist/web/data'));
}
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const { writeFileSync } = await import('node:fs');
writeFileSync(stamp, new Date().toISOString());
