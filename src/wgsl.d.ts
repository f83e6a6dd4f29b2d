// `.wgsl` files are imported as text: esbuild's `text` loader in the bundles, a transform in vitest.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
