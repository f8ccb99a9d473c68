// Preloaded into every service process by the memory benchmark (NODE_OPTIONS=--expose-gc
// --import=…): on SIGUSR2 the process runs a full garbage collection and prints its memory
// (`bench-memory {...}` on stderr, with each heap space's reserved and resident size, and the
// kernel's split of resident memory into anonymous and file-backed pages, which the supervisor
// passes on with the service's name), so that what is read is what the process keeps, not what
// its collector has not reclaimed yet. Nothing else; never loaded outside the benchmark.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** RssAnon, RssFile and RssShmem from /proc/self/status, in bytes (absent off Linux). */
function kernelSplit() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem') };
  } catch {
    return {};
  }
}

if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const stats = getHeapSpaceStatistics();
    const spaces = Object.fromEntries(stats.map((s) => [s.space_name, s.space_size]));
    const resident = Object.fromEntries(stats.map((s) => [s.space_name, s.physical_space_size]));
    process.stderr.write(`bench-memory ${JSON.stringify({ rss, heapTotal, heapUsed, external, arrayBuffers, spaces, resident, ...kernelSplit() })}\n`);
  });
}
