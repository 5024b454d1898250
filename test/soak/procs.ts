/**
 * The Linux process table, read from /proc: just what the soak test needs to find the extension
 * host, the trainer and Chromium's processes, measure their memory, and prove nothing is left over.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** Clock ticks after boot: with the pid, identifies a process even if its pid is reused later. */
  startTime: number;
  cmdline: string;
}

/** A process's identity across samples (pid + start time). */
export const procKey = (proc: Proc): string => `${proc.pid}@${proc.startTime}`;

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: Number(fields[19]), cmdline };
  } catch {
    return undefined; // exited while we were reading
  }
}

export function processTable(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((proc): proc is Proc => proc !== undefined);
}

/** Every process below `root` (not `root` itself). */
export function descendants(table: Proc[], root: number): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const proc of table) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), proc]);
  const out: Proc[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const proc = queue.shift()!;
    out.push(proc);
    queue.push(...(children.get(proc.pid) ?? []));
  }
  return out;
}

/** Resident set size in bytes (VmRSS), or undefined if the process is gone. */
export function rssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/**
 * Proportional set size in bytes: shared pages are divided among their users, so the PSS of several
 * Chromium processes can be summed without counting the shared binary and zygote pages many times.
 */
export function pssBytes(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time the process has used (user + system), in seconds; undefined if it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SEC = 100;

/** The machine's MemAvailable in bytes (context only: other people's processes move it too). */
export function memAvailableBytes(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

export const isExtensionHost = (proc: Proc): boolean => /\bbootstrap-fork\b.*--type=extensionHost\b/.test(proc.cmdline);

/**
 * code-server's extension host for our session: a node process of code-server's process group whose
 * command line says `--type=extensionHost`. When there is more than one (a restarted host), the one
 * whose child is `trainerPid` wins, else the newest.
 */
export function findExtensionHost(table: Proc[], serverGroup: number, trainerPid?: number): Proc | undefined {
  const hosts = table.filter((proc) => proc.pgid === serverGroup && isExtensionHost(proc));
  const trainer = trainerPid === undefined ? undefined : table.find((proc) => proc.pid === trainerPid);
  return hosts.find((host) => host.pid === trainer?.ppid) ?? hosts.sort((a, b) => b.startTime - a.startTime)[0];
}

/** Our trainers: children of the extension host running `<extensions dir>/…/dist/trainer.js`. */
export function findTrainers(table: Proc[], host: Proc, extensionsDir: string): Proc[] {
  return table.filter((proc) => proc.ppid === host.pid && proc.cmdline.includes(extensionsDir) && /\/dist\/trainer\.js\b/.test(proc.cmdline));
}

export function isAlive(proc: Proc): boolean {
  const now = readProc(proc.pid);
  return now !== undefined && now.startTime === proc.startTime;
}
