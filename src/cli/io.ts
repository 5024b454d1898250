/** Where a command writes, so commands can be run in-process by tests as well as from a terminal. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars) and how wide it is. */
  isTTY: boolean;
  columns: number;
}

export const processIO: CliIO = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  get isTTY() {
    return Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb';
  },
  get columns() {
    return process.stderr.columns || 100;
  },
};

/** A usage problem: the command prints the message and its usage, and exits 2. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, runFailed: 1, usage: 2, interrupted: 130 } as const;
