/**
 * Extensions of the command line, one import each (each module calls `registerExtension`).
 * Neural Rejuvenation adds its line here: `import '../rejuv/cli.js';`
 */
export {};
import '../rejuv/cli.js';
