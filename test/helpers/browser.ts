/**
 * Browser tests' plumbing: Debian's chromium driven by playwright-core (no downloaded browser), a fresh
 * profile per launch, WebGPU enabled on its software adapter, and the built site served on a free port.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs script without type declarations
import { serve } from '../../scripts/serve.mjs';

export const root = new URL('../../', import.meta.url).pathname;
export const CHROMIUM = process.env.REJUV_CHROMIUM ?? '/usr/bin/chromium';

// From ../shared/env-notes.md: software adapters are blocklisted without --enable-unsafe-webgpu, and the
// rest keeps a headless run from phoning home or touching a shared profile.
const FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser tests: no chromium at ${CHROMIUM}. Install Debian's 'chromium' package (\`bash scripts/setup.sh\` does it when run as root), ` +
        'or point REJUV_CHROMIUM at a Chromium binary. These tests never download a browser.',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'rejuv-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/**
 * Build what is stale (a no-op when dist is fresh; REJUV_SKIP_BUILD=1 skips it) and serve dist/web on
 * 127.0.0.1 at a free port.
 */
export async function startSite(): Promise<Site> {
  if (process.env.REJUV_SKIP_BUILD !== '1') execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (!existsSync(join(root, 'dist/web/index.html'))) throw new Error('browser tests: dist/web/index.html was not built (scripts/build.mjs)');
  const { server, url } = (await serve({ dir: join(root, 'dist/web'), port: 0 })) as { server: Server; url: string };
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Collect console errors and uncaught exceptions of a page, for the "no console errors" check. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}
