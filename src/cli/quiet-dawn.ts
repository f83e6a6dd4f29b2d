/**
 * Dawn's Vulkan backend prints two warnings on every adapter request —
 * "Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit
 * dynamic offset allocation limit." and the same for storage buffers — from native code straight to
 * file descriptor 2, where no JavaScript hook sees them, and no device limit or toggle avoids them (they
 * come from the adapter's own limit table, before a device is requested). They say nothing a user can act
 * on, so the command line filters exactly those lines: while the device starts, fd 2 points at a
 * temporary file; afterwards the real stderr is restored and everything else written meanwhile is
 * copied to it in order.
 *
 * Linux only (fd 2 is reopened through /proc/self/fd), for a stderr that is a terminal, a file or a pipe;
 * a socket (what Node's child_process 'pipe' gives a child) cannot be reopened, and there, as anywhere
 * this cannot be done safely, `f` simply runs with stderr untouched. REJUV_DAWN_WARNINGS=1 turns it off.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Exactly the two lines filtered (any numbers). */
export const DAWN_LIMIT_WARNING = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** `text` without Dawn's limit warnings (every other line kept, in order). */
export const withoutLimitWarnings = (text: string): string => text.split(/(?<=\n)/).filter((l) => !DAWN_LIMIT_WARNING.test(l.replace(/\r?\n$/, ''))).join('');

export async function withoutDawnLimitWarnings<T>(f: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux' || process.env.REJUV_DAWN_WARNINGS) return f();
  void process.stderr.isTTY; // create Node's stderr stream now, for what fd 2 really is
  let saved: number;
  try {
    saved = openSync('/proc/self/fd/2', 'a');
  } catch {
    return f(); // stderr closed, a socket, no procfs: leave it alone
  }
  const tmp = join(tmpdir(), `.rejuv-stderr-${process.pid}-${Date.now()}`);
  let swapped = false;
  try {
    closeSync(openSync(tmp, 'w', 0o600));
    closeSync(2);
    const fd = openSync(tmp, 'a'); // the lowest free descriptor: 2
    swapped = fd === 2;
    if (!swapped) closeSync(fd);
  } catch {
    swapped = false;
  }
  if (!swapped) {
    restore(saved);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    return f();
  }
  try {
    return await f();
  } finally {
    closeSync(2);
    restore(saved);
    let text = '';
    try {
      text = readFileSync(tmp, 'utf8');
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    const rest = withoutLimitWarnings(text);
    if (rest) writeSync(2, rest);
  }
}

/** Point fd 2 back at the original stderr (`saved` refers to it); a no-op on fd 2 when it is still open. */
function restore(saved: number): void {
  const fd = openSync(`/proc/self/fd/${saved}`, 'a'); // the lowest free descriptor: 2 once it was closed
  if (fd !== 2) closeSync(fd);
  closeSync(saved);
}
