// Operations in flight per caller. The rate limits' buckets count requests; what a heavy operation
// costs is the time it holds the subgraphs and their databases, so one user with thirty big
// federated queries running at once slows everyone else while staying well within the buckets.
// This caps how many operations one caller may have running at once: per signed-in user (the
// token's subject, all apps together, the key of the user bucket), and per client address for
// anonymous callers (the key of the address bucket, an IPv6 one by its /64).
//
// A slot is taken when the request's context is built (after the buckets, before the gate and
// anything fetched) and given back when the gateway is done with the request, however it ended:
// answered, refused by the gate, failed, or left by the client. A client that goes away does not
// stop the operation's calls (they run to their deadlines), so its slot is held until they end:
// the cap counts the work the gateway is doing for a caller, not the connections it holds open.
//
// The counts live in this process's memory, per replica, whatever RATE_LIMIT_STORE says: a slot
// is held for a request's lifetime in this process, and a count in a shared store would be locked
// by a replica that died holding slots. Behind N replicas a caller may have N times the cap running.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimitConfig } from './config.ts';
import { addressBucket, rateLimited, type RateLimitKind } from './rate-limit.ts';

/** A slot's release: gives it back the first time it is called, and does nothing after that. */
export type Release = () => void;

/** Counts of slots taken, by key; a key with none is not kept. */
export class InFlightCounter {
  private readonly counts = new Map<string, number>();

  /** Takes a slot of `key` if fewer than `max` are taken: its release, or undefined when all are. */
  acquire(key: string, max: number): Release | undefined {
    const taken = this.counts.get(key) ?? 0;
    if (taken >= max) return undefined;
    this.counts.set(key, taken + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }

  /** Slots of `key` taken now. */
  taken(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Keys with a slot taken. */
  get size(): number {
    return this.counts.size;
  }
}

/** The value of the refusal's `extensions.limit`, by whom it counts. */
export const IN_FLIGHT_LIMITS = { user: 'in-flight per user', address: 'in-flight per address' } as const;

/** A refused operation is tried again after this long: a slot frees as soon as one of the caller's operations ends. */
const RETRY_AFTER_SECONDS = 1;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface InFlightLimiter {
  /** Takes a slot for the request of a signed-in user (by the token's subject), held until its handler is done; throws 429. */
  user(req: IncomingMessage, sub: string): void;
  /** Takes a slot for the anonymous request from this client address (an IPv6 one by its /64); throws 429. */
  anonymous(req: IncomingMessage, address: string): void;
  /** The request handler, giving back the slot its request took when it is done, however it ended. */
  releasing(handler: Handler): Handler;
  readonly counter: InFlightCounter;
}

/** `onRefusal` hears of every refused operation (the gateway counts them with the buckets' refusals). */
export function createInFlightLimiter(config: RateLimitConfig['inFlight'], onRefusal: (kind: RateLimitKind) => void = () => {}): InFlightLimiter {
  const counter = new InFlightCounter();
  const held = new WeakMap<IncomingMessage, Release>();
  const take = (req: IncomingMessage, key: string, kind: 'user' | 'address', max: number) => {
    if (held.has(req)) return; // one request, one operation (batches are refused), one slot
    const release = counter.acquire(key, max);
    if (!release) {
      onRefusal(`${kind}-in-flight`);
      throw rateLimited(IN_FLIGHT_LIMITS[kind], RETRY_AFTER_SECONDS, (seconds) => `Too many operations of this ${kind} running at once (at most ${max}); retry after ${seconds} s.`);
    }
    held.set(req, release);
  };
  return {
    user: (req, sub) => take(req, `user:${sub}`, 'user', config.user),
    anonymous: (req, address) => take(req, `address:${addressBucket(address)}`, 'address', config.anonymous),
    releasing: (handler) => async (req, res) => {
      try {
        await handler(req, res);
      } finally {
        held.get(req)?.();
        held.delete(req);
      }
    },
    counter,
  };
}
