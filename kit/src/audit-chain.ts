// Tamper evidence for decision records (docs/consent-policy.md, "Records"): every store's records
// form hash chains. A chain belongs to one writer (a process of one subgraph, with a random chain
// id), so replicas sharing a store never contend: each record carries its chain, its sequence
// number (from 0, unique per chain in the store) and the hash of the chain's previous record,
// written in the same insert as the record itself. The hash covers everything a record says
// except the plain user ids, which it covers through their keyed pseudonyms (HMAC with the
// store's audit key): erasing a person removes the plain ids and leaves every hash intact.
//
// What verification catches: an altered record (its hash no longer matches its content), a
// record re-hashed after an alteration (the next record's link no longer matches), a deleted
// record (a gap in the sequence), a plain id removed other than by an erasure (below), a plain id
// added where the record names nobody, and a plain id changed behind its pseudonym (with the
// store's key). What a chain alone cannot show: its last records deleted, or a whole chain
// deleted; the heads of earlier verifications (anchors, kept elsewhere) show those up to the last
// anchor.
//
// Erasure removes plain ids, which the hash does not cover, so a removal must be accounted for
// otherwise: the erasure's own decision record (`Mutation.eraseMyData`, allowed, about the person
// themself, written before anything is erased) is an ordinary chained record naming the person's
// pseudonym, and the store erases only records made at or before it. A record whose plain id is
// gone is sound only if its store holds such an erasure record of that pseudonym, made at or
// after the record; otherwise the id was removed by someone else. Someone with write access could
// append an erasure record of their own (the hash is not keyed, a pseudonym can be copied from
// another record) and then remove ids: so an erasure record carries a seal, an HMAC of its hash
// under the store's audit key, which only the store can make; verifying with the key (`--key`)
// counts an erasure only when its seal holds, and reports one whose seal does not.
//
// A report names, per chain, its first broken link and, apart from it, the first record whose
// plain ids no erasure accounts for: a deletion and a removal are two findings, and neither stands
// for the other. The walk goes on past a break (a record deleted before an erasure does not make
// that erasure's legitimate removals look like tampering).
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { AuditRecord, AuditSink, AuditStore, ChainHead, StoredRecord } from './audit.ts';
import { loadConfigFile } from './config.ts';

/** Format of the hashed content (the `v` of every record). */
export const CHAIN_FORMAT = 1;
/** The `prev` of a chain's first record. */
export const GENESIS = '0'.repeat(64);

/** What a record's hash covers, in this order. Plain user ids are covered through their pseudonyms. */
const HASHED = [
  'v', 'chain', 'seq', 'prev', '_id', 'at', 'requestId', 'subgraph', 'operationName', 'operationHash', 'outcome', 'reason', 'rule', 'permission',
  'consentId', 'field', 'count', 'viewerKind', 'viewerRef', 'client', 'purpose', 'subjectRef', 'bankId',
] as const satisfies ReadonlyArray<keyof StoredRecord>;

export function recordHash(record: Omit<StoredRecord, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify(HASHED.map((field) => record[field] ?? null))).digest('hex');
}

/**
 * A user id's pseudonym in one store: HMAC-SHA-256 with that store's audit key; and `seal`, the
 * same key's HMAC of an erasure record's hash (see above), which nobody without the key can make.
 */
export type Pseudonymizer = ((userId: string) => string) & { seal(hash: string): string };

export const MIN_AUDIT_KEY_LENGTH = 32;

export function pseudonymizer(key: string | Buffer): Pseudonymizer {
  if (key.length < MIN_AUDIT_KEY_LENGTH) throw new Error(`an audit key has at least ${MIN_AUDIT_KEY_LENGTH} characters`);
  const hmac = (text: string) => createHmac('sha256', key).update(text).digest('hex');
  return Object.assign((userId: string) => hmac(`user:${userId}`), { seal: (hash: string) => hmac(`erasure:${hash}`) });
}

/** Reads a store's audit key from the file the configuration names (`AUDIT_KEY_FILE`). */
export function loadAuditKey(path: string): string {
  return loadConfigFile(path, 'the audit key', (text) => {
    const key = text.trim();
    if (key.length < MIN_AUDIT_KEY_LENGTH) throw new Error(`it must hold at least ${MIN_AUDIT_KEY_LENGTH} characters`);
    return key;
  });
}

/** A new chain id for a writer: who writes (for people reading the records) and 122 random bits. */
export function newChainId(writer: string): string {
  return `${writer}@${randomUUID()}`;
}

/** `records` linked after `head` (or as the start of the chain). */
export function linkRecords(chain: string, head: ChainHead | null, records: readonly AuditRecord[], pseudonym: Pseudonymizer): StoredRecord[] {
  let seq = head ? head.seq : -1;
  let prev = head ? head.hash : GENESIS;
  return records.map((record) => {
    seq += 1;
    const unhashed: Omit<StoredRecord, 'hash'> = {
      ...record,
      viewerRef: record.viewerId === null ? null : pseudonym(record.viewerId),
      subjectRef: record.subjectUserId === null ? null : pseudonym(record.subjectUserId),
      chain,
      seq,
      prev,
      v: CHAIN_FORMAT,
    };
    const hash = recordHash(unhashed);
    const linked: StoredRecord = { ...unhashed, hash, ...(erasureOf(unhashed) && { seal: pseudonym.seal(hash) }) };
    prev = linked.hash;
    return linked;
  });
}

/**
 * The sink a subgraph's requests flush into: links each batch to its chain and appends it in one
 * write. Writes of one chain go one at a time (a link needs the previous hash); batches that
 * arrive meanwhile are written together in the next write (group commit), so there is never more
 * than one write per request. After a failed write the head is read back from the store, so a
 * lost or partly written batch never leaves a false gap behind.
 */
export function chainedSink(store: Pick<AuditStore, 'appendRecords' | 'chainHead'>, options: { chain: string; pseudonym: Pseudonymizer }): AuditSink {
  let head: ChainHead | null | undefined; // undefined: not known, ask the store
  let writing = false;
  const queue: Array<{ records: AuditRecord[]; done: (error?: unknown) => void }> = [];

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const batch = queue.splice(0);
      try {
        if (head === undefined) head = await store.chainHead(options.chain);
        const linked = linkRecords(options.chain, head, batch.flatMap((b) => b.records), options.pseudonym);
        await store.appendRecords(linked);
        head = { seq: linked.at(-1)!.seq, hash: linked.at(-1)!.hash };
        for (const b of batch) b.done();
      } catch (error) {
        head = undefined;
        for (const b of batch) b.done(error);
      }
    }
    writing = false;
  }

  return {
    recordDecisions: (records) =>
      new Promise<void>((resolve, reject) => {
        if (records.length === 0) return resolve();
        queue.push({ records, done: (error) => (error === undefined ? resolve() : reject(error)) });
        if (!writing) void drain();
      }),
  };
}

/** A broken link of a chain, or a record whose plain ids were removed by no erasure. */
export interface ChainBreak {
  chain: string;
  /** The sequence number where the chain breaks (or of the record whose ids were removed). */
  seq: number;
  /** The record found there, if any. */
  id?: string;
  problem: string;
}

export interface VerifyReport {
  records: number;
  /** Every chain and its last record: keep them elsewhere as anchors for the next verification. */
  heads: Record<string, ChainHead>;
  /**
   * Per broken chain, in order of sequence number: its first broken link (a deleted, altered,
   * duplicated or forged record), and, on its own line, the first record whose plain ids were
   * removed by no erasure (with how many more there are), wherever it is; one never stands for
   * the other. Then anchors that no longer hold.
   */
  breaks: ChainBreak[];
}

export interface VerifyOptions {
  /** The store's pseudonymizer: also checks that every plain id is the one its pseudonym was made from. */
  pseudonym?: Pseudonymizer;
  /** Heads of an earlier verification: each must still be in its chain (else it was truncated, rewritten or deleted). */
  anchors?: Record<string, ChainHead>;
}

/** The field whose allowed decision record stands for an erasure of the person it names (records-routes.ts). */
export const ERASURE_FIELD = 'Mutation.eraseMyData';

/** The pseudonym whose erasure `record` stands for: an allowed erasure asked by the person themself. */
function erasureOf(record: Pick<StoredRecord, 'field' | 'outcome' | 'subjectRef' | 'viewerRef'>): string | undefined {
  if (record.field !== ERASURE_FIELD || record.outcome !== 'ALLOW' || !record.subjectRef || record.viewerRef !== record.subjectRef) return undefined;
  return record.subjectRef;
}

/** The pseudonyms whose plain ids `record` no longer shows (erased, or removed by someone). */
function removedIds(record: StoredRecord): Array<{ id: 'viewerId' | 'subjectUserId'; ref: string }> {
  const removed: Array<{ id: 'viewerId' | 'subjectUserId'; ref: string }> = [];
  if ((record.viewerId === null || record.viewerId === undefined) && record.viewerRef) removed.push({ id: 'viewerId', ref: record.viewerRef });
  if ((record.subjectUserId === null || record.subjectUserId === undefined) && record.subjectRef) removed.push({ id: 'subjectUserId', ref: record.subjectRef });
  return removed;
}

function problemOf(record: StoredRecord, expected: { seq: number; prev: string }, pseudonym?: Pseudonymizer): string | undefined {
  if (record.seq > expected.seq) {
    return expected.seq === record.seq - 1 ? `record ${expected.seq} is missing (deleted)` : `records ${expected.seq} to ${record.seq - 1} are missing (deleted)`;
  }
  if (record.seq < expected.seq) return `sequence number ${record.seq} appears twice`;
  if (record.v !== CHAIN_FORMAT) return `unknown record format ${JSON.stringify(record.v)}`;
  if (recordHash(record) !== record.hash) return 'the record was altered: its content does not match its hash';
  if (record.prev !== expected.prev) return "the link to the previous record is broken: the previous record was altered (and re-hashed) or replaced";
  // A plain id where the record has no pseudonym was put there afterwards: the hash covers the pseudonym only.
  if (record.viewerId !== null && record.viewerId !== undefined && !record.viewerRef) return 'viewerId was added: the record names no viewer';
  if (record.subjectUserId !== null && record.subjectUserId !== undefined && !record.subjectRef) return 'subjectUserId was added: the record names no data subject';
  if (pseudonym) {
    if (record.viewerId !== null && record.viewerId !== undefined && pseudonym(record.viewerId) !== record.viewerRef) return 'viewerId was altered: it does not match its pseudonym';
    if (record.subjectUserId !== null && record.subjectUserId !== undefined && pseudonym(record.subjectUserId) !== record.subjectRef) {
      return 'subjectUserId was altered: it does not match its pseudonym';
    }
  }
  return undefined;
}

/**
 * Walks records ordered by chain then seq. Reports the first broken link of each chain and, on its
 * own line, the first record of each chain whose plain ids were removed by no erasure: neither
 * hides or replaces the other.
 *
 * A break does not end the walk of its chain: from there on each record is judged against the
 * record stored before it (the one where the chain broke, on its own: its hash must match its
 * content), so that what comes after a deleted record still counts. An erasure recorded after a
 * deletion still accounts for the ids it removed (with the key: only under its seal, as anywhere
 * else), and a removal after a break is still caught. Only a record that is itself unsound (altered,
 * or an erasure without the store's seal) accounts for nothing.
 */
export async function verifyChains(records: AsyncIterable<StoredRecord> | Iterable<StoredRecord>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { records: 0, heads: {}, breaks: [] };
  const anchors = new Map(Object.entries(options.anchors ?? {}));
  /** What the walk found wrong in each chain. */
  const found = new Map<string, ChainBreak[]>();
  const note = (finding: ChainBreak) => {
    const list = found.get(finding.chain);
    if (list) list.push(finding);
    else found.set(finding.chain, [finding]);
  };
  /** The chains whose first broken link is reported (later ones are not). */
  const broken = new Set<string>();
  /** The latest erasure record of each pseudonym (its `at`), from sound records of any chain. */
  const erasures = new Map<string, string>();
  /** Sound records whose plain ids are gone, in walk order, checked against the erasures once all are known. */
  const removals: Array<{ chain: string; seq: number; id: string; at: string; removed: ReturnType<typeof removedIds> }> = [];
  let chain: string | undefined;
  let expected = { seq: 0, prev: GENESIS };
  for await (const record of records) {
    report.records += 1;
    if (record.chain !== chain) {
      chain = record.chain;
      expected = { seq: 0, prev: GENESIS };
    }
    report.heads[chain] = { seq: record.seq, hash: record.hash };
    const anchor = anchors.get(chain);
    if (anchor && anchor.seq === record.seq) {
      anchors.delete(chain);
      if (anchor.hash !== record.hash) note({ chain, seq: record.seq, id: record._id, problem: 'the record differs from the anchor taken earlier: the chain was rewritten' });
    }
    const problem = problemOf(record, expected, options.pseudonym);
    if (problem && !broken.has(chain)) {
      broken.add(chain);
      // A gap is about records that are not there: no id to name.
      note(record.seq > expected.seq ? { chain, seq: expected.seq, problem } : { chain, seq: record.seq, id: record._id, problem });
    }
    // The next record links to this one as stored, whatever is wrong with it.
    expected = { seq: record.seq + 1, prev: record.hash };
    if (problem) {
      // Judged on its own: its link cannot be checked, its content can.
      if (problemOf(record, { seq: record.seq, prev: record.prev }, options.pseudonym)) continue;
    }
    const erased = erasureOf(record);
    // With the store's key, an erasure counts only under its seal (without it, the chain is all there is).
    if (erased && options.pseudonym && record.seal !== options.pseudonym.seal(record.hash)) {
      if (!broken.has(chain)) {
        broken.add(chain);
        note({ chain, seq: record.seq, id: record._id, problem: "an erasure record without the store's seal: it was not written by the store (forged), or altered" });
      }
      continue;
    }
    if (erased && !((erasures.get(erased) ?? '') >= record.at)) erasures.set(erased, record.at);
    const removed = removedIds(record);
    if (removed.length) removals.push({ chain, seq: record.seq, id: record._id, at: record.at, removed });
  }
  // A plain id is gone by erasure only if the store holds that person's erasure, made at or after the record.
  const unexplained = new Map<string, { first: ChainBreak; more: number }>();
  for (const removal of removals) {
    const id = removal.removed.find(({ ref }) => !((erasures.get(ref) ?? '') >= removal.at));
    if (!id) continue;
    const seen = unexplained.get(removal.chain);
    if (seen) seen.more += 1;
    else {
      const problem = `${id.id} was removed, but this store recorded no erasure of that person at or after the record`;
      unexplained.set(removal.chain, { first: { chain: removal.chain, seq: removal.seq, id: removal.id, problem }, more: 0 });
    }
  }
  for (const { first, more } of unexplained.values()) {
    note(more ? { ...first, problem: `${first.problem} (and plain ids were removed from ${more} more record${more === 1 ? '' : 's'} of this chain)` } : first);
  }
  // Chain by chain as walked, each chain's findings by sequence number.
  for (const name of Object.keys(report.heads)) report.breaks.push(...(found.get(name) ?? []).sort((a, b) => a.seq - b.seq));
  for (const [lost, anchor] of anchors) {
    report.breaks.push({
      chain: lost,
      seq: anchor.seq,
      problem: lost in report.heads ? `the chain ends at ${report.heads[lost]!.seq}, before the anchor taken earlier: its last records were deleted` : 'the chain was deleted (an anchor taken earlier names it)',
    });
  }
  return report;
}
