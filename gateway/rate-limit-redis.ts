// The rate-limit store for several gateway replicas: the buckets live in Redis (RATE_LIMIT_STORE=redis,
// REDIS_URL), and one Lua script refills and takes atomically on Redis's own clock, so replicas
// whose clocks differ still agree. An idle bucket expires once it would be full again. While
// Redis cannot be reached, or does not answer within its deadline, each replica limits on its
// own (in memory) rather than not at all, and rather than making requests wait.
import { createClient } from '@redis/client';
import { requestLog } from '@consent-gateway/kit/observability';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS, type BucketLimit } from './config.ts';
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

/** After Redis failed or missed a deadline, how long requests are limited in memory before Redis is asked again. */
const DEFAULT_RETRY_AFTER_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface RedisStoreOptions {
  /** Key prefix of the buckets. */
  prefix?: string;
  /** Deadline of one command; past it the request is limited in memory. */
  commandTimeoutMs?: number;
  /** How long the store limits in memory after a failure or a missed deadline before it asks Redis again. */
  retryAfterMs?: number;
  /** Deadline of the first connection, its handshake included. */
  connectTimeoutMs?: number;
}

class DeadlineError extends Error {}

/** `promise`, or a DeadlineError after `ms`. (The command itself is not cancelled: see `take`.) */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Commands fail at once while disconnected (no offline queue): a request never waits on Redis.
// The first connection is not retried (a Redis that never answered is a configuration error);
// once connected, a lost connection is retried with a bounded back-off. The client's own
// per-command `timeout` is not used: it only covers a command's wait to be written, not its
// wait for the answer, which is what a hung Redis withholds.
const newClient = (url: string, connected: () => boolean, connectTimeout = CONNECT_TIMEOUT_MS) =>
  createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout, reconnectStrategy: (retries: number, cause: Error) => (connected() ? Math.min(retries * 100, 2_000) : cause) },
  });

export class RedisRateLimitStore implements RateLimitStore {
  private readonly fallback = new MemoryRateLimitStore();
  private degraded = false;
  /** While degraded: when Redis may be asked again. */
  private retryAt = 0;
  /** While degraded: a command is out to Redis and has not settled (answered, failed or dropped with its connection). */
  private probing = false;

  private constructor(
    private readonly client: ReturnType<typeof newClient>,
    private readonly prefix: string,
    private readonly commandTimeoutMs: number,
    private readonly retryAfterMs: number,
  ) {}

  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisRateLimitStore> {
    let connected = false;
    const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const client = newClient(url, () => connected, connectTimeoutMs);
    client.on('error', () => {}); // reported once per outage by take()
    // A Redis that accepts the connection and never answers its handshake is as unreachable as
    // one that refuses it.
    try {
      await within(client.connect(), connectTimeoutMs, 'Redis');
    } catch (error) {
      try {
        client.destroy();
      } catch {
        // it was not open
      }
      throw error;
    }
    connected = true;
    return new RedisRateLimitStore(
      client,
      options.prefix ?? 'consent-gateway:rate:',
      options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
    );
  }

  async take(key: string, limit: BucketLimit): Promise<TakeResult> {
    // Degraded: memory until the retry time, and then one request asks Redis while the others
    // keep to memory, so that a hung Redis holds at most one of our commands at a time.
    if (this.degraded && (this.probing || performance.now() < this.retryAt)) return this.fallback.take(key, limit);
    const probe = this.degraded;
    if (probe) this.probing = true;
    try {
      const command = this.client.eval(TAKE, { keys: [this.prefix + key], arguments: [String(limit.burst), String(limit.perSecond)] });
      if (probe) command.then(this.probeSettled, this.probeSettled);
      const [allowed, wait] = (await within(command, this.commandTimeoutMs, 'Redis')) as [number, string];
      if (this.degraded) requestLog().warn('rate-limit store: Redis answers again; shared limits are back');
      this.degraded = false;
      return { allowed: allowed === 1, retryAfterSeconds: Number(wait) };
    } catch (error) {
      if (!this.degraded) {
        const why = error instanceof DeadlineError ? `does not answer within ${this.commandTimeoutMs} ms` : `cannot be reached (${(error as Error).message})`;
        requestLog().error(`rate-limit store: Redis ${why}; limiting in this process's memory meanwhile`);
      }
      this.degraded = true;
      this.retryAt = performance.now() + this.retryAfterMs;
      return this.fallback.take(key, limit);
    }
  }

  private readonly probeSettled = () => {
    this.probing = false;
  };

  async close(): Promise<void> {
    // A hung Redis would never answer QUIT: the connection is dropped instead.
    if (this.degraded && this.client.isOpen) return void this.client.destroy();
    if (this.client.isOpen) await within(this.client.close(), this.commandTimeoutMs, 'Redis').catch(() => this.client.destroy());
  }
}
