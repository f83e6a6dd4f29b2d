/**
 * Fashion-MNIST comes from Debian's `dataset-fashion-mnist` (scripts/setup.sh installs it as root on
 * Debian). Tests that read it use `it.skipIf(!HAVE_FASHION)` and put FASHION_HINT in their name, so a
 * machine without the package skips them and says how to install it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
export const HAVE_FASHION = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
  .every((f) => existsSync(join(FASHION_DIR, `${f}.gz`)) || existsSync(join(FASHION_DIR, f)));
export const FASHION_HINT = `no Fashion-MNIST in ${FASHION_DIR}; install Debian's package: apt-get install dataset-fashion-mnist (as root), or run bash scripts/setup.sh as root`;

/** ' (skipped: …)' for a test's name when the files are missing, '' otherwise. */
export const fashionSkipNote = (): string => (HAVE_FASHION ? '' : ` (skipped: ${FASHION_HINT})`);
if (!HAVE_FASHION) console.warn(`Fashion-MNIST tests skipped: ${FASHION_HINT}`);
