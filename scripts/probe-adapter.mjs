// Exit 0 when Node gets a WebGPU adapter from the `webgpu` package; print what it is.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('probe-adapter: requestAdapter() returned null'); process.exit(1); }
const info = adapter.info ?? {};
console.log(`probe-adapter: ${info.vendor ?? '?'} / ${info.architecture ?? '?'} / ${info.description ?? ''}`);
process.exit(0);
