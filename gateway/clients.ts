// The client registry: which registered apps are first-party (the platform's own) and which are
// third-party. Third-party apps never see bank fields, whatever a consent says; they may send
// only registered operations unless the registry allows them arbitrary ones, and any app may
// have a rate limit of its own.
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import type { ClientType } from '@consent-gateway/kit/identity';
import type { BucketLimit } from './config.ts';

export interface RegisteredClient {
  type: ClientType;
  name: string;
  /** False: only operations of the persisted-operations manifest. Default: first-party true, third-party false. */
  allowArbitraryOperations: boolean;
  /** This app's own limit for all its users together (default: RATE_LIMIT_CLIENT_*). */
  rateLimit?: BucketLimit;
}

export type ClientRegistry = ReadonlyMap<string, RegisteredClient>;

export const DEFAULT_CLIENT_REGISTRY_FILE = new URL('./clients.json', import.meta.url).pathname;

const isPositiveInt = (value: unknown) => Number.isInteger(value) && (value as number) > 0;

function parseEntry(file: string, id: string, entry: Record<string, unknown> | null): RegisteredClient {
  const problem = (what: string) => new ConfigError(`client registry ${file}: client "${id}" ${what}`);
  if (entry?.type !== 'first-party' && entry?.type !== 'third-party') throw problem('needs "type": "first-party" or "third-party"');
  const arbitrary = entry.allowArbitraryOperations ?? entry.type === 'first-party';
  if (typeof arbitrary !== 'boolean') throw problem('has "allowArbitraryOperations" that is not true or false');
  const rate = entry.rateLimit as Partial<BucketLimit> | undefined;
  if (rate !== undefined && !(isPositiveInt(rate?.perSecond) && isPositiveInt(rate?.burst))) {
    throw problem('has a "rateLimit" that is not { "perSecond": <positive integer>, "burst": <positive integer> }');
  }
  return {
    type: entry.type,
    name: typeof entry.name === 'string' ? entry.name : id,
    allowArbitraryOperations: arbitrary,
    rateLimit: rate as BucketLimit | undefined,
  };
}

export function loadClientRegistry(file: string): ClientRegistry {
  const raw = loadConfigFile(file, 'the client registry', JSON.parse);
  const registry = new Map<string, RegisteredClient>();
  for (const [id, entry] of Object.entries(raw as Record<string, Record<string, unknown> | null>)) registry.set(id, parseEntry(file, id, entry));
  return registry;
}
