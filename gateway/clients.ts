// The client registry: which registered apps are first-party (the platform's own) and which are
// third-party. Third-party apps never see bank fields, whatever a consent says.
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import type { ClientType } from '@consent-gateway/kit/identity';

export type ClientRegistry = ReadonlyMap<string, { type: ClientType; name: string }>;

export const DEFAULT_CLIENT_REGISTRY_FILE = new URL('./clients.json', import.meta.url).pathname;

export function loadClientRegistry(file: string): ClientRegistry {
  const raw = loadConfigFile(file, 'the client registry', JSON.parse);
  const registry = new Map<string, { type: ClientType; name: string }>();
  for (const [id, entry] of Object.entries(raw as Record<string, { type?: string; name?: string }>)) {
    if (entry?.type !== 'first-party' && entry?.type !== 'third-party') {
      throw new ConfigError(`client registry ${file}: client "${id}" needs "type": "first-party" or "third-party"`);
    }
    registry.set(id, { type: entry.type, name: entry.name ?? id });
  }
  return registry;
}
