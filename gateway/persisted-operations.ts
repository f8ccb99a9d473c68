// Persisted operations (trusted documents): a manifest of the operations frontend teams ship,
// each under the SHA-256 of its text. A client sends the hash instead of the document, in
// Apollo's wire format (`extensions.persistedQuery.sha256Hash`) or the GraphQL-over-HTTP one
// (`documentId`, optionally prefixed `sha256:`). Clients that may only run registered
// operations (third-party apps by default) are refused anything else, hash or text.
//
// Apollo's automatic persisted queries (APQ: any client registers any document into a shared
// cache by sending it once) are off: the manifest is the only source of documents by hash, so
// what a hash means is decided at build time, not by whoever sent it first.
import { createHash } from 'node:crypto';
import { loadConfigFile } from '@consent-gateway/kit/config';
import { HttpError } from '@consent-gateway/kit/http';

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: ManifestOperation[];
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export class PersistedOperations {
  private constructor(
    private readonly byHash: ReadonlyMap<string, string>,
    /** The registered operations' names: the only operation names the gateway's metrics label by. */
    readonly names: ReadonlySet<string> = new Set(),
  ) {}

  static readonly none = new PersistedOperations(new Map());

  /** Apollo's manifest format (what `npm run persisted` and Apollo's generator write); every id must be the body's SHA-256. */
  static fromManifest(manifest: unknown): PersistedOperations {
    const m = manifest as Partial<Manifest> | null;
    if (m?.format !== MANIFEST_FORMAT || m.version !== 1 || !Array.isArray(m.operations)) {
      throw new Error(`expected { "format": "${MANIFEST_FORMAT}", "version": 1, "operations": [...] }`);
    }
    const byHash = new Map<string, string>();
    const names = new Set<string>();
    for (const [i, op] of m.operations.entries()) {
      if (typeof op?.id !== 'string' || typeof op.body !== 'string') throw new Error(`operation ${i} needs a string "id" and "body"`);
      if (sha256Hex(op.body) !== op.id.toLowerCase()) throw new Error(`operation ${i} (${op.name ?? 'unnamed'}): "id" is not the SHA-256 of its "body"`);
      byHash.set(op.id.toLowerCase(), op.body);
      if (typeof op.name === 'string') names.add(op.name);
    }
    return new PersistedOperations(byHash, names);
  }

  static load(file: string): PersistedOperations {
    return loadConfigFile(file, 'the persisted-operations manifest', (text) => PersistedOperations.fromManifest(JSON.parse(text)), '`npm run persisted -- <dir>` writes it');
  }

  get size(): number {
    return this.byHash.size;
  }

  document(hash: string): string | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  includes(document: string): boolean {
    return this.byHash.has(sha256Hex(document));
  }
}

const refuse = (status: number, message: string, code: string) => new HttpError(status, message, code);

/** The hash a request names, if any: `documentId` or Apollo's `extensions.persistedQuery`. */
function requestedHash(params: Record<string, unknown>): string | undefined {
  let documentId: string | undefined;
  if (params.documentId !== undefined) {
    if (typeof params.documentId !== 'string') throw refuse(400, '"documentId" must be a string', 'BAD_REQUEST');
    documentId = params.documentId.replace(/^sha256:/i, '');
  }
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted === undefined) return documentId;
  if (persisted?.version !== 1) throw refuse(400, 'Unsupported persisted query version (only version 1 is)', 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED');
  if (typeof persisted.sha256Hash !== 'string') throw refuse(400, '"extensions.persistedQuery.sha256Hash" must be a string', 'BAD_REQUEST');
  // Two names for the document that disagree: which one the client meant is not ours to guess.
  if (documentId !== undefined && documentId.toLowerCase() !== persisted.sha256Hash.toLowerCase()) {
    throw refuse(400, '"documentId" and "extensions.persistedQuery.sha256Hash" name different operations: send one of them', 'PERSISTED_QUERY_ID_CONFLICT');
  }
  return persisted.sha256Hash;
}

/**
 * The document a request runs: the registered one its hash names, or the text it sent (checked
 * against the hash if it sent both; refused if the client may only run registered operations).
 * Returns the parameters without the persisted-query fields, with `query` set.
 */
export function resolveDocument(params: Record<string, unknown>, operations: PersistedOperations, allowArbitrary: boolean): Record<string, unknown> {
  const hash = requestedHash(params);
  const { documentId: _id, extensions, ...rest } = params;
  const { persistedQuery: _pq, ...otherExtensions } = (extensions as Record<string, unknown> | undefined) ?? {};
  const cleaned = { ...rest, ...(Object.keys(otherExtensions).length ? { extensions: otherExtensions } : {}) };
  const text = params.query;
  if (text !== undefined && typeof text !== 'string') throw refuse(400, '"query" must be a string', 'BAD_REQUEST');
  if (hash !== undefined && text === undefined) {
    const document = operations.document(hash);
    // The message is Apollo's, so that Apollo Client's persisted-query link falls back to sending the text.
    if (document === undefined) throw new HttpError(400, 'PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND', { extensions: { documentId: hash.slice(0, 64) } });
    return { ...cleaned, query: document };
  }
  if (!text) throw refuse(400, 'The request has no "query" (nor the hash of a registered operation)', 'BAD_REQUEST');
  if (hash !== undefined && sha256Hex(text) !== hash.toLowerCase()) {
    throw refuse(400, 'The hash sent does not match the SHA-256 of the query sent', 'PERSISTED_QUERY_HASH_MISMATCH');
  }
  if (!allowArbitrary && !operations.includes(text)) {
    throw refuse(403, 'This client may only send registered operations (by hash); this one is not registered', 'PERSISTED_QUERY_NOT_IN_LIST');
  }
  return { ...cleaned, query: text };
}
