// Ports for the processes a test starts and points at each other (a registry's bank URLs, the
// gateway's and subgraphs' ports). A port found free with `listen(0)` and released comes from the
// kernel's ephemeral range, from which the next `listen(0)` of anyone else (the embedded
// database's port, another test's) may be handed the same port before our process binds it. These
// come from below that range instead, where no `listen(0)` lands, and each vitest worker draws
// from a slice of its own, so parallel test files never pick the same one.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const SLICES = 8;

/** The lowest port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + SLICES * 100 ? low : 32_768;
  } catch {
    return 32_768;
  }
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
  const width = Math.floor((ephemeralStart() - LOWEST) / SLICES);
  const slice = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % SLICES;
  const from = LOWEST + slice * width;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * width);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${from} and ${from + width} after 200 tries`);
}
