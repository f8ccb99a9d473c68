// The rate-limit store for several gateway replicas: the buckets live in Redis (RATE_LIMIT_STORE=redis,
// REDIS_URL), and one Lua script refills and takes atomically on Redis's own clock, so replicas
// whose clocks differ still agree. An idle bucket expires once it would be full again. While
// Redis cannot be reached, each replica limits on its own (in memory) rather than not at all.
import { createClient } from '@redis/client';
import { requestLog } from '@consent-gateway/kit/observability';
import type { BucketLimit } from './config.ts';
import { MemoryRateLimitStore, type RateLimitStore, type TakeResult } from './rate-limit.ts';

const TAKE = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return { allowed, tostring(wait) }
`;

// Commands fail at once while disconnected (no offline queue): a request never waits on Redis.
// The first connection is not retried (a Redis that never answered is a configuration error);
// once connected, a lost connection is retried with a bounded back-off.
const newClient = (url: string, connected: () => boolean) =>
  createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number, cause: Error) => (connected() ? Math.min(retries * 100, 2_000) : cause) },
  });

export class RedisRateLimitStore implements RateLimitStore {
  private readonly fallback = new MemoryRateLimitStore();
  private degraded = false;

  private constructor(
    private readonly client: ReturnType<typeof newClient>,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, prefix = 'consent-gateway:rate:'): Promise<RedisRateLimitStore> {
    let connected = false;
    const client = newClient(url, () => connected);
    client.on('error', () => {}); // reported once per outage by take()
    await client.connect();
    connected = true;
    return new RedisRateLimitStore(client, prefix);
  }

  async take(key: string, limit: BucketLimit): Promise<TakeResult> {
    try {
      const [allowed, wait] = (await this.client.eval(TAKE, { keys: [this.prefix + key], arguments: [String(limit.burst), String(limit.perSecond)] })) as [number, string];
      if (this.degraded) requestLog().warn('rate-limit store: Redis answers again; shared limits are back');
      this.degraded = false;
      return { allowed: allowed === 1, retryAfterSeconds: Number(wait) };
    } catch (error) {
      if (!this.degraded) requestLog().error(`rate-limit store: Redis cannot be reached (${(error as Error).message}); limiting in this process's memory meanwhile`);
      this.degraded = true;
      return this.fallback.take(key, limit);
    }
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
  }
}
