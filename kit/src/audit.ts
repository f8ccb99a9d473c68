// Every decision on a protected field is recorded: buffered per request, written in one batch
// when the request ends. Identical decisions in one request (same field, outcome, reason,
// consent, owner) are counted together, so a page of 100 transactions is one record, not 100.
// Records never hold field values: only who, why, under which consent, and where.
// Where records go is an AuditSink: the kit ships a MongoDB one (audit-mongo.ts); a bank whose
// store is something else writes its own.
import { randomUUID } from 'node:crypto';
import { viewerKind, type Identity, type ViewerKind } from './identity.ts';
import type { Reason } from './reasons.ts';

const MAX_PATHS = 20;

export interface DecisionInput {
  rule: string;
  outcome: 'ALLOW' | 'DENY';
  reason?: Reason;
  permission?: string;
  consentId?: string;
  /** Schema coordinate, e.g. `CardTransaction.amount`. */
  field: string;
  /** Response path, e.g. `me.accounts.0.balance` (as the subgraph sees it). */
  path: string;
  subjectUserId?: string;
  bankId?: string;
}

export interface AuditRecord {
  _id: string;
  at: string;
  requestId: string;
  subgraph: string;
  outcome: 'ALLOW' | 'DENY';
  reason: Reason | null;
  rule: string;
  permission: string | null;
  consentId: string | null;
  field: string;
  paths: string[];
  count: number;
  viewerKind: ViewerKind;
  viewerId: string | null;
  client: string | null;
  purpose: string | null;
  subjectUserId: string | null;
  bankId: string | null;
}

/** What a decision is, apart from where it was made: the identity of its record. */
export type DecisionKind = Omit<DecisionInput, 'field' | 'path'>;

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
  ) {}

  record(input: DecisionInput): void {
    const record = this.recordOf(this.group(keyOf(input)), input, input.field);
    record.count += 1;
    if (record.paths.length < MAX_PATHS) record.paths.push(input.path);
  }

  /**
   * Records one more instance of `decision`, aggregated as it is made. `site` stands for the field
   * (any object that is the same for every instance of one field in this request, such as
   * graphql's field nodes of it), `fieldOf(where)` names it and `pathOf(where)` is the instance's
   * path, each worked out only when needed. A rule that hands in the same decision object for the
   * same decision costs one lookup per instance.
   */
  tally<Where>(decision: DecisionKind, site: object, where: Where, fieldOf: (where: Where) => string, pathOf: (where: Where) => string): void {
    const last = this.bySite.get(site);
    let record = last?.decision === decision ? last.record : undefined;
    if (!record) {
      let group = this.byObject.get(decision);
      if (!group) this.byObject.set(decision, (group = this.group(keyOf(decision))));
      record = this.recordOf(group, decision, fieldOf(where));
      this.bySite.set(site, { decision, record });
    }
    record.count += 1;
    if (record.paths.length < MAX_PATHS) record.paths.push(pathOf(where));
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
      outcome: input.outcome,
      reason: input.reason ?? null,
      rule: input.rule,
      permission: input.permission ?? null,
      consentId: input.consentId ?? null,
      field,
      paths: [],
      count: 0,
      viewerKind: viewerKind(this.identity),
      viewerId: this.identity.sub ?? null,
      client: this.identity.client ?? null,
      purpose: this.identity.purpose ?? null,
      subjectUserId: input.subjectUserId ?? null,
      bankId: input.bankId ?? null,
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

/** What a reader of decision records asks for; every criterion is optional except the limit. */
export interface DecisionQuery {
  subjectUserId?: string | null;
  bankId?: string | null;
  /** A listing decision names every consent it used, comma-separated: this matches any of them. */
  consentId?: string | null;
  outcome?: 'ALLOW' | 'DENY' | null;
  /** Inclusive ISO bounds on `at`. */
  from?: string | null;
  to?: string | null;
  /** Only decisions about a bank's data (records with a bank id). */
  withBank?: boolean;
  /** Newest first, at most this many. */
  limit: number;
}
