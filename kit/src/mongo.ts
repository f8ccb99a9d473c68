// Mongo helpers shared by every subgraph: one client per process, one database per subgraph,
// and DataLoader batch functions that return results in the order of their keys.
import { MongoClient, type Collection, type CreateIndexesOptions, type Document, type Filter, type FindOptions, type IndexSpecification } from 'mongodb';

export async function connectMongo(uri: string, options: { monitorCommands?: boolean } = {}): Promise<MongoClient> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    monitorCommands: options.monitorCommands ?? false,
  });
  await client.connect();
  return client;
}

/**
 * Creates indexes idempotently, one `createIndex` per spec: FerretDB v1.24 crashes the connection
 * when one `createIndexes` command lists several indexes that already exist.
 */
export async function ensureIndexes(collection: Collection<any>, specs: Array<[IndexSpecification, CreateIndexesOptions?]>): Promise<void> {
  for (const [key, options] of specs) await collection.createIndex(key, options ?? {});
}

/**
 * Find options that make a read one command: the whole answer in the first batch (no getMore) and
 * the cursor closed with it (no killCursors). `atMost`: how many documents the query can match at
 * most (a limit, or unique keys), when known; otherwise a batch large enough for any list of ours.
 */
export function oneBatch(atMost?: number): FindOptions {
  return atMost === undefined ? { batchSize: 10_000 } : { batchSize: Math.max(1, atMost), singleBatch: true };
}

/**
 * A match on any of `keys`: `$in`, or plain equality for a single key, which FerretDB (the embedded
 * server) hands to its storage as an index lookup where it never does with `$in` (SQLite: `_id`
 * only; PostgreSQL: any top-level field).
 */
export function oneOf(keys: readonly string[]): string | { $in: string[] } {
  return keys.length === 1 ? keys[0]! : { $in: [...keys] };
}

/**
 * Batch-loads documents whose `field` is one of `keys` in one `$in` query, returning them in key
 * order (null where missing). `extra` narrows the query; `projection` limits what is read.
 */
export async function loadByKeys<T extends Document>(
  collection: Collection<T>,
  field: string,
  keys: readonly string[],
  projection?: Document,
  extra: Filter<T> = {},
): Promise<Array<T | null>> {
  const unique = [...new Set(keys)];
  const filter = { ...extra, [field]: oneOf(unique) } as Filter<T>;
  const docs = (await collection.find(filter, { projection, ...oneBatch(field === '_id' ? unique.length : undefined) }).toArray()) as unknown as T[];
  const byKey = new Map(docs.map((d) => [String((d as Document)[field]), d]));
  return keys.map((k) => byKey.get(k) ?? null);
}

/** Like loadByKeys, but each key owns many documents (a list-of-children resolver). */
export async function loadGroupsByKeys<T extends Document>(
  collection: Collection<T>,
  field: string,
  keys: readonly string[],
  options: { projection?: Document; sort?: Document; extra?: Filter<T> } = {},
): Promise<T[][]> {
  const filter = { ...options.extra, [field]: oneOf([...new Set(keys)]) } as Filter<T>;
  const docs = (await collection.find(filter, { projection: options.projection, sort: options.sort, ...oneBatch() }).toArray()) as unknown as T[];
  const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const doc of docs) groups.get(String((doc as Document)[field]))?.push(doc);
  return keys.map((k) => groups.get(k) ?? []);
}
