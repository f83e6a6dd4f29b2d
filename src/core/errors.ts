/**
 * Structured errors: every error names where it came from (an op, a file, a kernel), what was expected
 * and what came, so a message is enough to find the problem without a debugger.
 */
export class RejuvError extends Error {
  readonly where: string;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'RejuvError';
    this.where = where;
  }
}

export function fail(where: string, message: string): never {
  throw new RejuvError(where, message);
}

export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
