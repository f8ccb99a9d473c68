// The token-bucket stores behind the rate limits: in memory (one gateway) and in Redis (several
// replicas sharing their buckets). Same behaviour from both; Redis's is atomic across replicas,
// and a Redis that is connected but hung makes no request wait longer than its deadline. The
// anonymous bucket's key: an IPv6 caller by its /64.
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimitConfig } from '../gateway/config.ts';
import { addressBucket, createRateLimiter, MemoryRateLimitStore } from '../gateway/rate-limit.ts';
import { RedisRateLimitStore } from '../gateway/rate-limit-redis.ts';

describe('in-memory buckets', () => {
  it('allow a burst, then one per refill interval, and say when to retry', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    const limit = { burst: 3, perSecond: 2 };
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await store.take('k', limit));
    expect(taken.map((t) => t.allowed)).toEqual([true, true, true, false]);
    expect(taken[3]!.retryAfterSeconds).toBeCloseTo(0.5);
    now = 499;
    expect((await store.take('k', limit)).allowed).toBe(false);
    now = 500; // 0.5 s after the burst: one whole token
    expect((await store.take('k', limit)).allowed).toBe(true);
    expect((await store.take('k', limit)).allowed).toBe(false);
  });

  it('keep keys apart', async () => {
    const store = new MemoryRateLimitStore(() => 0);
    const limit = { burst: 1, perSecond: 1 };
    expect((await store.take('a', limit)).allowed).toBe(true);
    expect((await store.take('a', limit)).allowed).toBe(false);
    expect((await store.take('b', limit)).allowed).toBe(true);
  });

  it('forget buckets that have refilled, so that memory stays bounded', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now, 100);
    const limit = { burst: 2, perSecond: 10 };
    for (let i = 0; i < 100; i++) await store.take(`caller-${i}`, limit);
    expect(store.size).toBe(100);
    now = 1_000; // every bucket is full again
    await store.take('one-more', limit);
    expect(store.size).toBe(1);
  });
});

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAnswers = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = createConnection({ host: hostname, port: Number(port || 6379), timeout: 1_000 });
  socket.once('connect', () => (socket.end(), resolve(true)));
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => (socket.destroy(), resolve(false)));
});

// Redis is optional (the in-memory store is the default): these run wherever one answers at
// REDIS_URL (default 127.0.0.1:6379, as on the development machine), and are skipped elsewhere.
describe.skipIf(!redisAnswers)(`Redis buckets (${REDIS_URL})`, () => {
  const prefix = `consent-gateway-test:${randomBytes(6).toString('hex')}:`;
  const stores: RedisRateLimitStore[] = [];
  const connect = async () => {
    const store = await RedisRateLimitStore.connect(REDIS_URL, { prefix });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('allow a burst, then refuse with the time to wait', async () => {
    const store = await connect();
    const limit = { burst: 3, perSecond: 1 };
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await store.take('burst', limit));
    expect(taken.map((t) => t.allowed)).toEqual([true, true, true, false]);
    expect(taken[3]!.retryAfterSeconds).toBeGreaterThan(0.5);
    expect(taken[3]!.retryAfterSeconds).toBeLessThanOrEqual(1);
  });

  it('two replicas share one allowance, atomically, however the requests interleave', async () => {
    const [a, b] = [await connect(), await connect()];
    const limit = { burst: 10, perSecond: 1 };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take('shared', limit)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
  });

  it('limit each replica on its own while Redis cannot be reached', async () => {
    const unreachable = await connect();
    await (unreachable as unknown as { client: { destroy(): void } }).client.destroy(); // the connection drops
    const limit = { burst: 2, perSecond: 1 };
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await unreachable.take('offline', limit));
    expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
  });
});

describe('the anonymous bucket of an address', () => {
  it('is an IPv6 address\'s /64, an IPv4-mapped address\'s IPv4 address, an IPv4 address itself', () => {
    expect(addressBucket('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressBucket('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBucket('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressBucket('::FFFF:c633:6407')).toBe('198.51.100.7');
    expect(addressBucket('198.51.100.7')).toBe('198.51.100.7');
    expect(addressBucket('unknown')).toBe('unknown');
  });

  it('a caller rotating its addresses within a /64 is refused once that /64 has spent its allowance', async () => {
    const config: RateLimitConfig = { store: 'memory', user: { burst: 100, perSecond: 1 }, client: { burst: 100, perSecond: 1 }, anonymous: { burst: 3, perSecond: 1 }, inFlight: { user: 16, anonymous: 8 } };
    const limiter = createRateLimiter(config, new Map(), new MemoryRateLimitStore(() => 0));
    const outcome = (address: string) => limiter.anonymous(address).then(() => 'allowed', (e: { status: number }) => e.status);
    const rotated = [];
    for (let i = 1; i <= 4; i++) rotated.push(await outcome(`2001:db8:aa:bb::${i.toString(16)}`));
    expect(rotated).toEqual(['allowed', 'allowed', 'allowed', 429]);
    expect(await outcome('2001:db8:aa:bc::1')).toBe('allowed'); // the next /64 is someone else
    // One IPv4 caller, seen as IPv4 or through a dual-stack socket: one bucket.
    expect([await outcome('192.0.2.9'), await outcome('::ffff:192.0.2.9'), await outcome('192.0.2.9'), await outcome('::ffff:192.0.2.9')]).toEqual(['allowed', 'allowed', 'allowed', 429]);
  });
});

/**
 * A TCP server that speaks just enough of Redis's protocol: it answers every command (+OK; EVAL
 * as the script would, allowed) until it is told to hang; then it accepts and reads every byte
 * and answers nothing, until it is released, when it answers what it withheld, in order.
 */
async function fakeRedis(options: { hung?: boolean } = {}) {
  let hung = options.hung ?? false;
  let evals = 0;
  const withheld: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let command = nextCommand(buffer); command; command = nextCommand(buffer)) {
        buffer = buffer.subarray(command.length);
        if (command.name === 'EVAL') evals++;
        const answer = () => socket.write(command.name === 'EVAL' ? '*2\r\n:1\r\n$1\r\n0\r\n' : '+OK\r\n');
        if (hung) withheld.push(answer);
        else answer();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Rate-limit commands received so far. */
    evals: () => evals,
    hang: () => void (hung = true),
    release: () => {
      hung = false;
      for (const answer of withheld.splice(0)) answer();
    },
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

/** The first whole command in `buffer` (a RESP array of bulk strings): its name and its length in bytes. */
function nextCommand(buffer: Buffer): { name: string; length: number } | undefined {
  const line = (from: number) => {
    const end = buffer.indexOf('\r\n', from);
    return end < 0 ? undefined : { text: buffer.subarray(from, end).toString(), next: end + 2 };
  };
  const head = line(0);
  if (!head) return undefined;
  let at = head.next;
  let name = '';
  for (let i = 0; i < Number(head.text.slice(1)); i++) {
    const size = line(at);
    if (!size) return undefined;
    const end = size.next + Number(size.text.slice(1));
    if (buffer.length < end + 2) return undefined;
    if (i === 0) name = buffer.subarray(size.next, end).toString().toUpperCase();
    at = end + 2;
  }
  return { name, length: at };
}

const timed = async <T>(work: () => Promise<T>) => {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
};

describe('a Redis that is connected but hung (a fake server that accepts and never answers)', () => {
  const limit = { burst: 1, perSecond: 1 };

  it('no request waits past the deadline; the replica limits in memory meanwhile; shared limits come back when it answers', async () => {
    const fake = await fakeRedis();
    const store = await RedisRateLimitStore.connect(fake.url, { commandTimeoutMs: 150, retryAfterMs: 400 });
    try {
      // Answering: the fake allows everything (a burst of 1 in memory would refuse the second).
      expect([(await store.take('k', limit)).allowed, (await store.take('k', limit)).allowed]).toEqual([true, true]);

      fake.hang();
      const first = await timed(() => store.take('k', limit));
      expect(first.ms).toBeGreaterThanOrEqual(140);
      expect(first.ms).toBeLessThan(1_000);
      expect(first.result.allowed).toBe(true); // this replica's own bucket
      // From now on no request waits on Redis (none sends a command), and the limit still holds (in memory).
      const sent = fake.evals();
      expect((await store.take('k', limit)).allowed).toBe(false);
      expect(fake.evals()).toBe(sent);

      // After the retry interval one request asks again (and waits at most the deadline); while
      // its command is out, nobody else sends one.
      await new Promise((r) => setTimeout(r, 450));
      const probe = await timed(() => store.take('k', limit));
      expect(probe.ms).toBeLessThan(1_000);
      expect(fake.evals()).toBe(sent + 1);
      await new Promise((r) => setTimeout(r, 450));
      await store.take('k', limit);
      expect(fake.evals()).toBe(sent + 1);

      fake.release(); // the withheld answers arrive, the probe's among them
      await new Promise((r) => setTimeout(r, 450));
      expect([(await store.take('k', limit)).allowed, (await store.take('k', limit)).allowed]).toEqual([true, true]);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  it('one that accepts the connection and never answers at all is refused at start, within the connection deadline', async () => {
    const fake = await fakeRedis({ hung: true });
    try {
      const attempt = await timed(() => RedisRateLimitStore.connect(fake.url, { connectTimeoutMs: 300 }).then(() => 'connected', (e: Error) => e.message));
      expect(attempt.result).toMatch(/did not answer within 300 ms/);
      expect(attempt.ms).toBeLessThan(2_000);
    } finally {
      await fake.close();
    }
  });
});
