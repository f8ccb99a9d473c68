// `npm run audit:verify`: walks the decision records of every store and checks their hash chains
// (kit/src/audit-chain.ts; docs/consent-policy.md, "Tamper evidence"): it prints, per store, `OK
// <n> records` or the first broken link of each broken chain, and exits 1 when anything is broken.
//
//   npm run audit:verify                                   the stores of the local deployment (npm start)
//   npm run audit:verify -- --uri <mongodb uri> [<database>...] [--key <database>=<file>]...
//   ... --save-anchors <file>    keep every chain's head (elsewhere!) ...
//   ... --anchors <file>         ... and check later that they are all still there
//
// The local deployment: MONGODB_URI (else the database `npm start` runs now, else its data in
// .data/ferretdb), every database whose name starts with MONGODB_DB_PREFIX (default `consent_`)
// and holds decision records, and the development audit keys in .dev-keys/ (so that pseudonyms
// are checked too).
// With --uri, the databases named (all with decision records when none is), keys given by --key.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MongoClient } from 'mongodb';
import { loadAuditKey, pseudonymizer, verifyChains, type VerifyOptions, type VerifyReport } from '@consent-gateway/kit/audit-chain';
import { AUDIT_COLLECTION, createMongoAuditStore } from '@consent-gateway/kit/audit-mongo';
import { connectMongo } from '@consent-gateway/kit/mongo';
import type { ChainHead } from '@consent-gateway/kit/audit';
import { DEV_KEYS_DIR } from './dev-keys.ts';
import { keptDevDatabase, startDevDatabase, type DevDatabase } from './dev-database.ts';

export const RUNNING_DATABASE_FILE = '.data/database.json';

/** The databases that hold decision records (those named, or every one with `prefix`). */
export async function auditDatabases(client: MongoClient, options: { names?: string[]; prefix?: string }): Promise<string[]> {
  if (options.names?.length) return options.names;
  const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
  const found: string[] = [];
  for (const { name } of databases.filter((d) => d.name.startsWith(options.prefix ?? ''))) {
    if ((await client.db(name).listCollections({ name: AUDIT_COLLECTION }, { nameOnly: true }).toArray()).length) found.push(name);
  }
  return found.sort();
}

/** Verifies one database's decision records. */
export async function verifyDatabase(client: MongoClient, name: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyChains(createMongoAuditStore(client.db(name)).allRecords(), options);
}

export function describeReport(name: string, report: VerifyReport): string[] {
  const chains = Object.keys(report.heads).length;
  if (report.breaks.length === 0) return [`${name}: OK ${report.records} records (${chains} chain${chains === 1 ? '' : 's'})`];
  return [`${name}: BROKEN (${report.records} records, ${chains} chains)`, ...report.breaks.map((b) => `  chain ${b.chain}, record ${b.seq}${b.id ? ` (${b.id})` : ''}: ${b.problem}`)];
}

/** `<prefix>user_profile` → `user-profile`, `<prefix>bank_northwind` → `bank-northwind`: the service whose dev audit key it is. */
export function serviceOfDatabase(name: string, prefix: string): string {
  const rest = name.slice(prefix.length);
  return rest.startsWith('bank_') ? `bank-${rest.slice('bank_'.length)}` : rest.replace(/_/g, '-');
}

function pidAlive(pid: unknown): boolean {
  try {
    return typeof pid === 'number' && process.kill(pid, 0);
  } catch {
    return false;
  }
}

/** The local deployment's database: MONGODB_URI, the one `npm start` runs now, or its data on disk. */
async function localDatabase(): Promise<DevDatabase> {
  if (!process.env.MONGODB_URI && existsSync(RUNNING_DATABASE_FILE)) {
    const running = JSON.parse(readFileSync(RUNNING_DATABASE_FILE, 'utf8')) as { uri?: string; pid?: number };
    if (running.uri && pidAlive(running.pid)) return { uri: running.uri, kind: 'external', description: `the database of npm start at ${running.uri}`, stop: async () => {} };
  }
  return startDevDatabase({ ...keptDevDatabase(), log: () => undefined });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { uri: { type: 'string' }, key: { type: 'string', multiple: true }, anchors: { type: 'string' }, 'save-anchors': { type: 'string' } },
  });
  const prefix = process.env.MONGODB_DB_PREFIX ?? 'consent_';
  const database = values.uri ? undefined : await localDatabase();
  const client = await connectMongo(values.uri ?? database!.uri);
  try {
    const keys = new Map((values.key ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    const anchors = values.anchors ? (JSON.parse(readFileSync(values.anchors, 'utf8')) as Record<string, Record<string, ChainHead>>) : {};
    const names = await auditDatabases(client, { names: positionals, prefix: values.uri ? '' : prefix });
    if (names.length === 0) {
      console.log('no decision records found');
      return 0;
    }
    let broken = false;
    const heads: Record<string, Record<string, ChainHead>> = {};
    for (const name of names) {
      const devKey = join(DEV_KEYS_DIR, `audit-${serviceOfDatabase(name, prefix)}.key`);
      const keyFile = keys.get(name) ?? (!values.uri && existsSync(devKey) ? devKey : undefined);
      const report = await verifyDatabase(client, name, { pseudonym: keyFile ? pseudonymizer(loadAuditKey(keyFile)) : undefined, anchors: anchors[name] });
      heads[name] = report.heads;
      broken ||= report.breaks.length > 0;
      for (const line of describeReport(name, report)) console.log(line);
    }
    if (values['save-anchors']) writeFileSync(values['save-anchors'], `${JSON.stringify(heads, null, 2)}\n`);
    return broken ? 1 : 0;
  } finally {
    await client.close();
    await database?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main().catch((error: Error) => {
    console.error(error.message);
    return 2;
  });
}
