// The command-line reading the experiment scripts share: `--name value` options and `--name` flags.

/** The arguments after the script's path. */
export const argv = process.argv.slice(2);

/** The value after `--name`, or `def` when absent. */
export const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};

/** Whether `--name` was given. */
export const flag = (name) => argv.includes(`--${name}`);
