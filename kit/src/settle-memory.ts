// A service's resident memory, settled at start. V8 reserves the young generation (fixed by the
// service's Node flags: scripts/supervisor.ts, SERVICE_NODE_FLAGS) but its pages become resident
// only as allocation first walks through them, which for a service with little traffic happens
// minutes or hours after start: a one-time step in resident memory that looks like growth. Walking
// through it once at start (what the JVM's -XX:+AlwaysPreTouch does for its heap) makes the
// resident size a service shows in its first minute the one it keeps, which is what a container's
// memory limit is sized from. It costs a few milliseconds, once.

/** Somewhere the allocations below go, so that no optimizer can drop them as unused. */
const ring: unknown[] = new Array(16);

/** Allocates and drops `bytes` of short-lived objects (by default twice a 2 × 16 MiB young generation). */
export function settleYoungGeneration(bytes = 64 * 2 ** 20): void {
  // Arrays of 510 small integers: about 4 KiB each.
  for (let allocated = 0, i = 0; allocated < bytes; allocated += 4096, i++) ring[i & 15] = new Array(510).fill(i);
  ring.fill(undefined);
}
