/**
 * The browser bundle (dist/browser/rejuv.js) is a self-contained ES module: WGSL inlined, no Node
 * built-ins, no `require`, no bare imports; and it runs in Chromium as a user would import it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, root, startSite, watchErrors, type Browser, type Site } from './helpers/browser.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

/** Every way an ES module can reach for Node: `node:` specifiers, CommonJS require, bare package imports. */
function nodeReferences(code: string): string[] {
  const found: string[] = [];
  for (const re of [/["']node:[\w/]+["']/g, /\brequire\s*\(/g, /\bimport\s*(?:[\w*{}\s,]+from\s*)?["'][^."'/][^"']*["']/g, /\bimport\(\s*["'][^."'/][^"']*["']\s*\)/g, /\bprocess\.binding\b/g]) {
    for (const m of code.matchAll(re)) found.push(m[0]);
  }
  return found;
}

describe('browser bundle', () => {
  const files = ['dist/browser/rejuv.js', 'dist/web/checks.js', ...(existsSync(join(root, 'web/main.ts')) ? ['dist/web/app.js'] : [])];
  it.each(files)('%s has no Node built-ins, require() or bare imports', (file) => {
    const code = readFileSync(join(root, file), 'utf8');
    expect(nodeReferences(code)).toEqual([]);
  });

  it('the checker itself catches what it looks for', () => {
    expect(nodeReferences(`const x = require('y');`)).toEqual(['require(']);
    expect(nodeReferences(`import('webgpu')`)).toEqual([`import('webgpu')`]);
    expect(nodeReferences(`import * as z from "lodash";`)).toEqual(['import * as z from "lodash"']);
    expect(nodeReferences(`const fs = await import("node:fs")`)).toContain('"node:fs"');
    expect(nodeReferences(`import { a } from "./a.js"; const name = 'webgpu'; await import(name); // required`)).toEqual([]);
  });

  it('inlines the WGSL kernels', () => {
    const code = readFileSync(join(root, 'dist/browser/rejuv.js'), 'utf8');
    expect(code).toMatch(/@compute\s+@workgroup_size/);
    expect(code).not.toMatch(/from\s*["'][^"']+\.wgsl["']/);
  });

  it('imports and computes in Chromium (WebGPU and the reference backend)', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      // Any same-origin document will do; a data file runs no script of its own.
      await page.goto(`${site.url}data/meta.json`);
      // A string, so that vitest's transform leaves the dynamic import to the browser.
      const out = await page.evaluate(`(async () => {
        const rj = await import(location.origin + '/rejuv.js');
        const results = {};
        for (const backend of ['webgpu', 'cpu']) {
          const info = await rj.init({ backend });
          const w = rj.tensor([[1, 2], [3, 4], [5, 6]], undefined, { requiresGrad: true });
          const loss = rj.sum(rj.square(rj.sub(w, 1)));
          loss.backward();
          results[backend] = { backend: info.backend, loss: await loss.item(), grad: Array.from(await w.grad.toArray()) };
          rj.close();
        }
        return results;
      })()`) as Record<string, unknown>;
      expect(out.webgpu).toEqual({ backend: 'webgpu', loss: 55, grad: [0, 2, 4, 6, 8, 10] });
      expect(out.cpu).toEqual({ backend: 'cpu', loss: 55, grad: [0, 2, 4, 6, 8, 10] });
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 120_000);
});
