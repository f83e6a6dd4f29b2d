/** Bundle src/cli/main.ts for child-process tests (inside the repo so node_modules resolve). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('../..', import.meta.url).pathname;

export async function bundleCli(name: string): Promise<string> {
  const outdir = join(root, 'test/artifacts', name);
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: { cli: join(root, 'src/cli/main.ts') }, absWorkingDir: root, bundle: true, format: 'esm', platform: 'node', packages: 'external',
    loader: { '.wgsl': 'text' }, outdir, logLevel: 'warning', target: 'es2022',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return join(outdir, 'cli.js');
}
