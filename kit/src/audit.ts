// Every decision on a protected field is recorded: buffered per request, written in one batch
// when the request ends. Identical decisions in one request (same field, outcome, reason,
// consent, owner) are counted together, so a page of 100 transactions is one record, not 100.
// Records never hold field values: only who, why, under which consent, which field (its schema
// coordinate) and which operation (as the client sent it to the gateway: its name and the hash
// of its document). docs/consent-policy.md ("Records") states what they hold and how they are
// kept: each store's records form hash chains (audit-chain.ts), and a person's ids are kept
// beside keyed pseudonyms so that erasure leaves the chains intact.
import { randomUUID } from 'node:crypto';
import { viewerKind, type Identity, type ViewerKind } from './identity.ts';
import type { Reason } from './reasons.ts';

/** The operation a request runs, as the client sent it to the gateway (carried in the gateway's token). */
export interface OperationRef {
  /** The operation's name (`operationName`, or the name of the document's one operation); null if anonymous. */
  name: string | null;
  /** SHA-256 (hex) of the document the client sent (for a persisted operation, its registered text). */
  hash: string | null;
}

export const NO_OPERATION: OperationRef = Object.freeze({ name: null, hash: null });

export interface DecisionInput {
  rule: string;
  outcome: 'ALLOW' | 'DENY';
  reason?: Reason;
  permission?: string;
  consentId?: string;
  /** Schema coordinate, e.g. `CardTransaction.amount`. */
  field: string;
  subjectUserId?: string;
  bankId?: string;
}

export interface AuditRecord {
  _id: string;
  at: string;
  requestId: string;
  subgraph: string;
  operationName: string | null;
  operationHash: string | null;
  outcome: 'ALLOW' | 'DENY';
  reason: Reason | null;
  rule: string;
  permission: string | null;
  consentId: string | null;
  field: string;
  count: number;
  viewerKind: ViewerKind;
  viewerId: string | null;
  client: string | null;
  purpose: string | null;
  subjectUserId: string | null;
  bankId: string | null;
}

/** What a decision is, apart from where it was made: the identity of its record. */
export type DecisionKind = Omit<DecisionInput, 'field'>;

const keyOf = (d: DecisionKind) => [d.outcome, d.reason, d.rule, d.consentId, d.subjectUserId, d.bankId].join('|');

export class DecisionRecorder {
  /** Every record of the request, in the order they were first made. */
  private readonly records: AuditRecord[] = [];
  /** Records by decision (its key), then by field. */
  private readonly byKind = new Map<string, Map<string, AuditRecord>>();
  /** The same, for decision objects a rule hands in again and again (see `tally`). */
  private byObject = new WeakMap<DecisionKind, Map<string, AuditRecord>>();
  /** The last decision recorded at each site (see `tally`), and its record. */
  private readonly bySite = new Map<object, { decision: DecisionKind; record: AuditRecord }>();

  constructor(
    private readonly subgraph: string,
    private readonly identity: Identity,
    private readonly requestId: string,
    private readonly operation: OperationRef = NO_OPERATION,
    /** A bank's store: every record it writes names the bank, whatever rule made the decision. */
    private readonly bankId?: string,
  ) {}

  /** Records one more instance of the decision; returns its record (when it was made, for an erasure). */
  record(input: DecisionInput): Readonly<AuditRecord> {
    const record = this.recordOf(this.group(keyOf(input)), input, input.field);
    record.count += 1;
    return record;
  }

  /**
   * Names the consent that an allowed decision on `field` of this request created or acted on
   * (a grant's new consent, the consent a revoke closed), known only once the field resolved.
   * Several (aliases of one mutation) are named together, comma-separated, as a listing's are.
   */
  noteConsent(field: string, consentId: string): void {
    for (const record of this.records) {
      if (record.field !== field || record.outcome !== 'ALLOW') continue;
      const named = record.consentId ? record.consentId.split(',') : [];
      if (!named.includes(consentId)) record.consentId = [...named, consentId].join(',');
    }
  }

  /**
   * Records one more instance of `decision`, aggregated as it is made. `site` stands for the field
   * (any object that is the same for every instance of one field in this request, such as
   * graphql's field nodes of it) and `fieldOf(where)` names it, worked out only when needed. A
   * rule that hands in the same decision object for the same decision costs one lookup per instance.
   */
  tally<Where>(decision: DecisionKind, site: object, where: Where, fieldOf: (where: Where) => string): void {
    const last = this.bySite.get(site);
    let record = last?.decision === decision ? last.record : undefined;
    if (!record) {
      let group = this.byObject.get(decision);
      if (!group) this.byObject.set(decision, (group = this.group(keyOf(decision))));
      record = this.recordOf(group, decision, fieldOf(where));
      this.bySite.set(site, { decision, record });
    }
    record.count += 1;
  }

  private group(key: string): Map<string, AuditRecord> {
    let group = this.byKind.get(key);
    if (!group) this.byKind.set(key, (group = new Map()));
    return group;
  }

  /** The record of this decision at `field`, made (with no instance yet) the first time. */
  private recordOf(group: Map<string, AuditRecord>, input: DecisionKind, field: string): AuditRecord {
    let record = group.get(field);
    if (record) return record;
    record = {
      _id: randomUUID(),
      at: new Date().toISOString(),
      requestId: this.requestId,
      subgraph: this.subgraph,
      operationName: this.operation.name,
      operationHash: this.operation.hash,
      outcome: input.outcome,
      reason: input.reason ?? null,
      rule: input.rule,
      permission: input.permission ?? null,
      consentId: input.consentId ?? null,
      field,
      count: 0,
      viewerKind: viewerKind(this.identity),
      viewerId: this.identity.sub ?? null,
      client: this.identity.client ?? null,
      purpose: this.identity.purpose ?? null,
      subjectUserId: input.subjectUserId ?? null,
      bankId: input.bankId ?? this.bankId ?? null,
    };
    group.set(field, record);
    this.records.push(record);
    return record;
  }

  get size(): number {
    return this.records.length;
  }

  /** One write for the whole request; nothing when no protected field was touched. */
  async flush(sink: AuditSink): Promise<void> {
    if (this.records.length === 0) return;
    const batch = this.records.splice(0);
    this.byKind.clear();
    this.byObject = new WeakMap();
    this.bySite.clear();
    await sink.recordDecisions(batch);
  }
}

/** Where a subgraph's decision records go: one call per request, with every record of it. */
export interface AuditSink {
  recordDecisions(records: AuditRecord[]): Promise<void>;
}

/** A record as stored: the decision, its pseudonyms and its link in its chain (see audit-chain.ts). */
export interface StoredRecord extends AuditRecord {
  /** Keyed pseudonyms (HMAC with the store's audit key) of `viewerId` and `subjectUserId`: what the chain covers. */
  viewerRef: string | null;
  subjectRef: string | null;
  /** The chain (one per writer: a process of a subgraph) and the record's place in it, from 0. */
  chain: string;
  seq: number;
  /** The hash of the chain's previous record (GENESIS for the first), and this record's. */
  prev: string;
  hash: string;
  /** An erasure record's seal: the store's keyed HMAC of its hash (audit-chain.ts). */
  seal?: string;
  /** Format of the hashed content. */
  v: number;
}

/** A chain's last record, to link the next one to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** What a reader of decision records asks for; every criterion is optional except the limit. */
export interface DecisionQuery {
  /** The person whose data the decision was about. */
  subjectUserId?: string | null;
  /** Who asked. */
  viewerId?: string | null;
  bankId?: string | null;
  /** A listing decision names every consent it used, comma-separated: this matches any of them. */
  consentId?: string | null;
  outcome?: 'ALLOW' | 'DENY' | null;
  reason?: string | null;
  /** Schema coordinate, e.g. `BankAccount.balance`. */
  field?: string | null;
  client?: string | null;
  purpose?: string | null;
  /** The request the decision was made in: the gateway's request id (its `x-request-id`). */
  requestId?: string | null;
  /** The operation as the client sent it: its name, and the SHA-256 (hex) of its document. */
  operationName?: string | null;
  operationHash?: string | null;
  /** Inclusive ISO bounds on `at`. */
  from?: string | null;
  to?: string | null;
  /** Only decisions about a bank's data (records with a bank id). */
  withBank?: boolean;
  /** Records strictly after this position in the order (at descending, id ascending). */
  after?: { at: string; id: string } | null;
  /** In that order, at most this many. */
  limit: number;
}

/**
 * Where a subgraph keeps its decision records (the kit ships a MongoDB one, audit-mongo.ts; a
 * bank with its own adapter implements it in its BankStore). The kit computes pseudonyms, links
 * and hashes; the store keeps what it is given and reads it back.
 */
export interface AuditStore {
  /** Stores records already linked, in ONE write; refuses a (chain, seq) that is already stored. */
  appendRecords(records: StoredRecord[]): Promise<void>;
  /** The record of `chain` with the highest `seq`, or null for a chain with no record. */
  chainHead(chain: string): Promise<ChainHead | null>;
  /** Records matching `query`, ordered by `at` descending then `_id` ascending. */
  findRecords(query: DecisionQuery): Promise<StoredRecord[]>;
  /**
   * Erasure: removes the plain ids of one person (`viewerId` where `viewerRef` is `ref`,
   * `subjectUserId` where `subjectRef` is `ref`) in the records made at or before `until` (the
   * time of the erasure's own record: verification accepts a removed id only up to it);
   * everything the chain covers stays. Returns how many records changed.
   */
  pseudonymize(ref: string, until: string): Promise<number>;
  /** Every record, ordered by `chain` then `seq` (for verification). */
  allRecords(): AsyncIterable<StoredRecord>;
}

/** One entry of an access log: a request in which someone was allowed to read a person's data. */
export interface AccessLogEntry {
  at: string;
  requestId: string;
  viewerKind: ViewerKind;
  viewerId: string | null;
  bankId: string | null;
  purpose: string | null;
  fields: string[];
}

/** ALLOW records (newest first) grouped by request and bank: who read which fields, when, why. */
export function accessLogOf(records: readonly AuditRecord[]): AccessLogEntry[] {
  const entries = new Map<string, Omit<AccessLogEntry, 'fields'> & { fields: Set<string> }>();
  for (const d of records) {
    if (d.outcome !== 'ALLOW') continue;
    const key = `${d.requestId}|${d.bankId}`;
    const entry = entries.get(key) ?? { at: d.at, requestId: d.requestId, viewerKind: d.viewerKind, viewerId: d.viewerId, bankId: d.bankId, purpose: d.purpose, fields: new Set<string>() };
    entry.fields.add(d.field);
    entries.set(key, entry);
  }
  return [...entries.values()].map((e) => ({ ...e, fields: [...e.fields].sort() }));
}

/** Every record matching `query`, read page by page (in the order of findRecords). */
export async function* allMatching(store: Pick<AuditStore, 'findRecords'>, query: Omit<DecisionQuery, 'limit' | 'after'>, pageSize = 500): AsyncGenerator<StoredRecord> {
  let after: DecisionQuery['after'] = null;
  for (;;) {
    const page = await store.findRecords({ ...query, after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    const last = page.at(-1)!;
    after = { at: last.at, id: last._id };
  }
}
