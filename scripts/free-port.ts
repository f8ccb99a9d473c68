// Ports for the processes a test or a benchmark starts and points at each other (a registry's
// bank URLs, the gateway's and subgraphs' ports). A port found free with `listen(0)` and released
// comes from the kernel's ephemeral range, from which the next `listen(0)` of anyone else (the
// embedded database's port, another test's) may be handed the same port before our process binds
// it. These come from outside that range (below it, or above it where too little is below), where
// no `listen(0)` lands, and each vitest worker draws from a slice of its own, so parallel test
// files never pick the same one.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const SLICES = 8;

/** The ports free of the kernel's ephemeral range: below it, or above it when too little is below. */
function outsideEphemeralRange(): [from: number, to: number] {
  let low = 32_768;
  let high = 60_999; // Linux's defaults
  try {
    [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    // not Linux: its defaults
  }
  if (low - LOWEST >= SLICES * 100) return [LOWEST, low];
  if (65_535 - high >= SLICES * 100) return [high + 1, 65_536];
  throw new Error(`the ephemeral port range (${low}-${high}) leaves too few ports outside it for the tests`);
}

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port no one listens on now, below the ephemeral range, never handed out twice in this worker. */
export async function freePort(): Promise<number> {
  const [start, end] = outsideEphemeralRange();
  const width = Math.floor((end - start) / SLICES);
  // vitest numbers its workers from 1 (VITEST_POOL_ID); this project runs 2 (vitest.config.ts).
  const slice = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % SLICES;
  const from = start + slice * width;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * width);
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check: calls at once (Promise.all) must not both pick it
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${from} and ${from + width} after 200 tries`);
}
