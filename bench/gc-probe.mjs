// Preloaded into every service process by the memory benchmark (NODE_OPTIONS=--expose-gc
// --import=…): on SIGUSR2 the process runs a full garbage collection and prints its memory
// (`bench-memory {...}` on stderr, with each heap space's reserved and resident size, which the
// supervisor passes on with the service's name), so that what is read is what the process keeps,
// not what its collector has not reclaimed yet. Nothing else; never loaded outside the benchmark.
import { getHeapSpaceStatistics } from 'node:v8';

// The collection V8 makes before giving up for lack of memory ("last resort"): besides collecting,
// it hands the pages it freed back to the system. A plain gc() leaves them mapped until the
// memory reducer gets to them, minutes later or never, so resident memory read after it still
// held whatever a burst of load had once used (a few hundred MiB for a throwaway array of 2
// million objects, against 143 MiB after this), and readings moved with that instead of with
// what the process keeps.
const collect = () => {
  try {
    globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    globalThis.gc();
  }
};

if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    collect();
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const stats = getHeapSpaceStatistics();
    const spaces = Object.fromEntries(stats.map((s) => [s.space_name, s.space_size]));
    const resident = Object.fromEntries(stats.map((s) => [s.space_name, s.physical_space_size]));
    process.stderr.write(`bench-memory ${JSON.stringify({ rss, heapTotal, heapUsed, external, arrayBuffers, spaces, resident })}\n`);
  });
}
