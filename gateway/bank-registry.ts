// The bank registry: which banks exist and where each one's subgraph lives, from a JSON file
// (`BANK_REGISTRY_FILE`, `[{ "id", "name", "url" }]`). Adding a bank is one entry here: no
// recomposition, no code change. The file is watched: a valid new version replaces the registry
// at once; an invalid one is refused, logged, and the registry in use stays.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, loadConfigFile } from '@consent-gateway/kit/config';
import { isBankId } from '@consent-gateway/kit/ids';
import { requestLog } from '@consent-gateway/kit/observability';

export interface RegisteredBank {
  id: string;
  name: string;
  /** The bank subgraph's GraphQL endpoint. */
  url: string;
}

export interface BankRegistry {
  /** Every bank, by id ascending: the stable order in which merged lists are concatenated. */
  readonly banks: readonly RegisteredBank[];
  get(id: unknown): RegisteredBank | undefined;
}

export const DEFAULT_BANK_REGISTRY_FILE = new URL('./banks.json', import.meta.url).pathname;

export function bankRegistry(banks: readonly RegisteredBank[]): BankRegistry {
  const sorted = [...banks].sort((a, b) => a.id.localeCompare(b.id));
  const byId = new Map(sorted.map((b) => [b.id, b]));
  return { banks: sorted, get: (id) => (typeof id === 'string' ? byId.get(id) : undefined) };
}

/** Every problem of a registry file's content, at once; the registry when there are none. */
export function parseBankRegistry(text: string): BankRegistry {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('expected an array of { "id", "name", "url" }');
  const problems: string[] = [];
  const seen = new Set<string>();
  const banks: RegisteredBank[] = [];
  raw.forEach((entry: any, i) => {
    const where = `entry ${i}${typeof entry?.id === 'string' ? ` ("${entry.id}")` : ''}`;
    if (typeof entry !== 'object' || entry === null) return void problems.push(`${where} is not an object`);
    const extra = Object.keys(entry).filter((k) => !['id', 'name', 'url'].includes(k));
    if (extra.length) problems.push(`${where}: unknown field(s) ${extra.join(', ')}`);
    if (!isBankId(entry.id)) problems.push(`${where}: "id" must be lower-case letters, digits and dashes, starting with a letter, 2–40 characters`);
    else if (seen.has(entry.id)) problems.push(`${where}: bank "${entry.id}" is listed twice`);
    else seen.add(entry.id);
    if (typeof entry.name !== 'string' || !entry.name.trim()) problems.push(`${where}: "name" must be a non-empty string`);
    const url = typeof entry.url === 'string' && URL.canParse(entry.url) ? new URL(entry.url) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol)) problems.push(`${where}: "url" must be an http(s) URL`);
    banks.push({ id: entry.id, name: String(entry.name ?? '').trim(), url: entry.url });
  });
  if (problems.length) throw new Error(problems.join('; '));
  return bankRegistry(banks);
}

export function loadBankRegistry(file: string): BankRegistry {
  return loadConfigFile(file, 'the bank registry', parseBankRegistry);
}

export interface WatchedBankRegistry {
  current(): BankRegistry;
  /** Re-reads the file now; a file that is not valid keeps the registry in use (and says why). */
  reload(): void;
  close(): void;
}

/** How often the registry file is read again in any case (a watch can miss changes: see below). */
export const REGISTRY_POLL_MS = 30_000;

/**
 * The registry in `file`, kept current: the directory is watched (editors and deployments replace
 * files by renaming, which a watch on the file itself would miss, and a Kubernetes ConfigMap swaps
 * a `..data` symlink, so every event in the directory is a reason to look), the file is read again
 * every REGISTRY_POLL_MS in any case (watches miss changes on some network and container
 * filesystems), and `reload()` (the gateway's SIGHUP) reads it at once. A read that finds the
 * same banks changes nothing.
 */
export function watchBankRegistry(
  file: string,
  log: (line: string, level: 'info' | 'warn') => void = (l, level) => requestLog()[level](l),
  options: { pollMs?: number } = {},
): WatchedBankRegistry {
  let registry = loadBankRegistry(file);
  let lastGood = JSON.stringify(registry.banks);
  let lastProblem: string | undefined;
  const reload = () => {
    try {
      const next = loadBankRegistry(file);
      lastProblem = undefined;
      const text = JSON.stringify(next.banks);
      if (text === lastGood) return;
      registry = next;
      lastGood = text;
      log(`bank registry reloaded from ${file}: ${next.banks.map((b) => b.id).join(', ') || 'no banks'}`, 'info');
    } catch (error) {
      const problem = (error as Error).message;
      if (problem === lastProblem) return; // said once, not at every poll
      lastProblem = problem;
      log(`bank registry ${file} changed but is not valid, keeping the registry in use: ${problem}`, 'warn');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 50); // one reload for the burst of events one write makes
    });
  } catch (error) {
    throw new ConfigError(`cannot watch the bank registry ${file}: ${(error as Error).message}`);
  }
  const poll = setInterval(reload, options.pollMs ?? REGISTRY_POLL_MS);
  poll.unref();
  return {
    current: () => registry,
    reload,
    close: () => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
