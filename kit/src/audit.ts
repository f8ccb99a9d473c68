// Every decision on a protected field is recorded: buffered per request, written in one batch
// when the request ends. Identical decisions in one request (same field, outcome, reason,
// consent, owner) are counted together, so a page of 100 transactions is one record, not 100.
// Records never hold field values: only who, why, under which consent, and where.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { ensureIndexes } from './mongo.ts';
import { viewerKind, type Identity, type ViewerKind } from './identity.ts';
import type { Reason } from './reasons.ts';

export const AUDIT_COLLECTION = 'audit_decisions';
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

export class DecisionRecorder {
  private readonly records = new Map<string, AuditRecord>();

  constructor(
    private readonly subgraph: string,
    private readonly identity: Identity,
    private readonly requestId: string,
  ) {}

  record(input: DecisionInput): void {
    const key = [input.field, input.outcome, input.reason, input.rule, input.consentId, input.subjectUserId, input.bankId].join('|');
    const existing = this.records.get(key);
    if (existing) {
      existing.count += 1;
      if (existing.paths.length < MAX_PATHS) existing.paths.push(input.path);
      return;
    }
    this.records.set(key, {
      _id: randomUUID(),
      at: new Date().toISOString(),
      requestId: this.requestId,
      subgraph: this.subgraph,
      outcome: input.outcome,
      reason: input.reason ?? null,
      rule: input.rule,
      permission: input.permission ?? null,
      consentId: input.consentId ?? null,
      field: input.field,
      paths: [input.path],
      count: 1,
      viewerKind: viewerKind(this.identity),
      viewerId: this.identity.sub ?? null,
      client: this.identity.client ?? null,
      purpose: this.identity.purpose ?? null,
      subjectUserId: input.subjectUserId ?? null,
      bankId: input.bankId ?? null,
    });
  }

  get size(): number {
    return this.records.size;
  }

  /** One insertMany for the whole request; nothing when no protected field was touched. */
  async flush(db: Db): Promise<void> {
    if (this.records.size === 0) return;
    const batch = [...this.records.values()];
    this.records.clear();
    await auditCollection(db).insertMany(batch, { ordered: false });
  }
}

export function auditCollection(db: Db): Collection<AuditRecord> {
  return db.collection<AuditRecord>(AUDIT_COLLECTION);
}

export async function ensureAuditIndexes(db: Db): Promise<void> {
  await ensureIndexes(auditCollection(db), [[{ subjectUserId: 1, at: -1 }], [{ bankId: 1, at: -1 }], [{ consentId: 1 }], [{ requestId: 1 }], [{ at: -1 }]]);
}
