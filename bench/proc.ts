// What a benchmark reads about processes from /proc (Linux): CPU time and resident memory of a
// process by id, and which PostgreSQL backends serve one database.
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
