/**
 * Extensions of the command line, one import each (each module calls `registerExtension`).
 * Neural Rejuvenation adds its line here: `import './nr.js';`
 */
export {};
import './nr.js';
