/**
 * The command line's option tables and a small strict parser: every option is declared once (name,
 * type, default, help), so help text, parsing and validation cannot drift apart. Unknown options,
 * missing values and malformed numbers are errors that name the option.
 */
export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'numbers';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'batch-size'; parsed values are keyed by it. */
  name: string;
  type: OptionType;
  help: string;
  default?: string | number | boolean | number[];
  choices?: readonly string[];
  metavar?: string;
  required?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, in order (all required). */
  positionals?: string[];
  options: OptionSpec[];
  /** Extra help paragraphs. */
  notes?: string;
}

export type ParsedOptions = Record<string, string | number | boolean | number[] | undefined>;

export class UsageError extends Error {
  constructor(readonly command: string, message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function convert(cmd: string, spec: OptionSpec, raw: string): string | number | number[] {
  const bad = (what: string): never => {
    throw new UsageError(cmd, `--${spec.name}: expected ${what}, got '${raw}'`);
  };
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) bad(`one of ${spec.choices.join(', ')}`);
      return raw;
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) bad('a number');
      return v;
    }
    case 'int': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isSafeInteger(v)) bad('an integer');
      return v;
    }
    case 'numbers': {
      if (raw.trim() === '') return [];
      const vs = raw.split(',').map((s) => Number(s));
      if (vs.some((v) => !Number.isFinite(v))) bad('comma-separated numbers');
      return vs;
    }
    default:
      return bad('no value');
  }
}

/** Parse `argv` (after the command name) against a command's table. */
export function parseOptions(cmd: CommandSpec, argv: string[]): { options: ParsedOptions; positionals: string[]; given: string[] } {
  const byName = new Map(cmd.options.map((o) => [o.name, o]));
  const options: ParsedOptions = {};
  const given: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    let name = a.slice(2), value: string | undefined;
    const eqAt = name.indexOf('=');
    if (eqAt >= 0) [name, value] = [name.slice(0, eqAt), name.slice(eqAt + 1)];
    const spec = byName.get(name);
    if (!spec) throw new UsageError(cmd.name, `unknown option --${name} (see 'rejuv ${cmd.name} --help')`);
    if (!given.includes(name)) given.push(name);
    if (spec.type === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new UsageError(cmd.name, `--${name} takes no value (or =true/=false), got '${value}'`);
      options[name] = value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(cmd.name, `--${name} needs a value (${spec.metavar ?? spec.type})`);
    }
    options[name] = convert(cmd.name, spec, value);
  }
  for (const o of cmd.options) {
    if (options[o.name] === undefined && o.default !== undefined) options[o.name] = o.default;
    if (o.required && options[o.name] === undefined) throw new UsageError(cmd.name, `--${o.name} is required`);
  }
  const want = cmd.positionals ?? [];
  if (positionals.length !== want.length) {
    throw new UsageError(cmd.name, want.length ? `expected ${want.map((p) => p.toUpperCase()).join(' ')}, got ${positionals.length ? positionals.join(' ') : 'nothing'}` : `unexpected argument '${positionals[0]}'`);
  }
  return { options, positionals, given };
}

export function formatHelp(cmd: CommandSpec): string {
  const lines = [`rejuv ${cmd.name}${(cmd.positionals ?? []).map((p) => ` ${p.toUpperCase()}`).join('')} [options]`, '', cmd.summary, ''];
  if (cmd.options.length) lines.push('Options:');
  const left = cmd.options.map((o) => `  --${o.name}${o.type === 'boolean' ? '' : ` ${o.metavar ?? (o.choices ? o.choices.join('|') : o.type.toUpperCase())}`}`);
  const w = Math.min(40, Math.max(...left.map((l) => l.length), 0) + 2);
  cmd.options.forEach((o, i) => {
    const def = o.default !== undefined && o.default !== false ? ` (default: ${Array.isArray(o.default) ? o.default.join(',') || 'none' : o.default})` : o.required ? ' (required)' : '';
    lines.push(`${left[i].padEnd(w)}${left[i].length >= w ? `\n${' '.repeat(w)}` : ''}${o.help}${def}`);
  });
  if (cmd.notes) lines.push('', cmd.notes);
  return lines.join('\n');
}
