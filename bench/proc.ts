// What a benchmark reads about processes from /proc (Linux): CPU time and resident memory of a
// process (or a group of them) by id, and which PostgreSQL backends serve one database.
import { readdirSync, readFileSync } from 'node:fs';

// Clock ticks per second of utime/stime in /proc/<pid>/stat: 100 on every Linux we run on.
const TICK_MS = 10;

/** User + system CPU time of a process so far (ms), or undefined once it is gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process (MiB), or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    return match ? +(Number(match[1]) / 1024).toFixed(1) : undefined;
  } catch {
    return undefined;
  }
}

/** How the memory of a group of processes was measured (see groupMemoryMiB). */
export type GroupMemoryMeasure = 'proportional' | 'estimated';

const kbOf = (text: string, field: string) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm'))?.[1] ?? NaN);

/**
 * Memory of a group of processes that share pages (MiB), or undefined when none of them is left.
 * PostgreSQL's backends all map the server's shared buffers and its binary, which a sum of their
 * resident sizes would count once per backend (an idle backend here: 36 MiB resident, 5 MiB of it
 * its own share). `proportional`: the sum of their proportional set sizes (/proc/<pid>/smaps_rollup:
 * a page shared by n processes counts 1/n in each), readable for processes of our own user or as
 * root. Otherwise `estimated` from /proc/<pid>/status: every process's anonymous pages, plus the
 * largest file-backed and the largest shared-memory part among them, once.
 */
export function groupMemoryMiB(pids: number[]): { mib: number; measure: GroupMemoryMeasure } | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined; // gone, or not ours to read
    }
  };
  const alive = pids.filter((pid) => read(`/proc/${pid}/status`) !== undefined);
  if (alive.length === 0) return undefined;
  const pss = alive.map((pid) => {
    const rollup = read(`/proc/${pid}/smaps_rollup`);
    return rollup === undefined ? NaN : kbOf(rollup, 'Pss');
  });
  if (pss.every((kb) => !Number.isNaN(kb))) return { mib: +(pss.reduce((a, b) => a + b, 0) / 1024).toFixed(1), measure: 'proportional' };
  let anon = 0;
  let file = 0;
  let shmem = 0;
  let found = false;
  for (const pid of alive) {
    const status = read(`/proc/${pid}/status`);
    if (status === undefined) continue;
    found = true;
    const parts = [kbOf(status, 'RssAnon'), kbOf(status, 'RssFile'), kbOf(status, 'RssShmem')];
    if (parts.some(Number.isNaN)) {
      anon += kbOf(status, 'VmRSS') || 0; // a kernel without the breakdown (before 4.5): all of it
      continue;
    }
    anon += parts[0]!;
    file = Math.max(file, parts[1]!);
    shmem = Math.max(shmem, parts[2]!);
  }
  return found ? { mib: +((anon + file + shmem) / 1024).toFixed(1), measure: 'estimated' } : undefined;
}

/** The PostgreSQL server processes serving `database` (their title names it: `postgres: … <user> <database> …`). */
export function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (title.startsWith('postgres: ') && title.split(' ').includes(database)) pids.push(Number(entry));
    } catch {
      // gone in between
    }
  }
  return pids;
}

/** CPU time used by groups of processes between `start()` and `stop()` (ms per group). */
export function cpuMeter(groups: () => Record<string, number[]>) {
  const read = () => {
    const now = new Map<number, number>();
    for (const pids of Object.values(groups())) for (const pid of pids) now.set(pid, cpuMs(pid) ?? 0);
    return now;
  };
  let before = new Map<number, number>();
  return {
    start: () => void (before = read()),
    /** Each group's CPU time since start; a process that appeared in between counts from its birth. */
    stop(): Record<string, number> {
      const after = read();
      return Object.fromEntries(
        Object.entries(groups()).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + Math.max(0, (after.get(pid) ?? 0) - (before.get(pid) ?? 0)), 0)]),
      );
    },
  };
}
