// The token-bucket stores behind the rate limits: in memory (one gateway) and in Redis (several
// replicas sharing their buckets). Same behaviour from both; Redis's is atomic across replicas.
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../gateway/rate-limit.ts';
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
    const store = await RedisRateLimitStore.connect(REDIS_URL, prefix);
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
