// Preloaded into every service process by the memory benchmark (NODE_OPTIONS=--expose-gc
// --import=…): on SIGUSR2 the process runs a full garbage collection and prints its memory
// (`bench-memory {...}` on stderr, with each heap space's reserved and resident size, which the
// supervisor passes on with the service's name), so that what is read is what the process keeps,
// not what its collector has not reclaimed yet. Nothing else; never loaded outside the benchmark.
import { getHeapSpaceStatistics } from 'node:v8';

if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const stats = getHeapSpaceStatistics();
    const spaces = Object.fromEntries(stats.map((s) => [s.space_name, s.space_size]));
    const resident = Object.fromEntries(stats.map((s) => [s.space_name, s.physical_space_size]));
    process.stderr.write(`bench-memory ${JSON.stringify({ rss, heapTotal, heapUsed, external, arrayBuffers, spaces, resident })}\n`);
  });
}
