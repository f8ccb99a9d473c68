// Per-request access decisions on a bank's data. The rules and the resolvers that must know which
// consent opened a field (to clamp a window, to filter credits/debits) ask the same function, so
// they can never disagree. Consents are loaded once per owner per request and never cached longer.
//
// Each distinct decision is computed once per request: the viewer, the purpose, the bank and the
// clock are fixed for a request, so a decision depends only on the owner, the permission and, for
// a transaction row, the row's direction and date. The part without the row (the owner's consents
// judged for the permission: kit/src/consent-policy.ts, consentBasis) is memoised per owner and
// permission, each row's decision per direction and date; a page of 100 rows costs a few hundred
// map lookups instead of a few hundred evaluations of the policy.
import { consentBasis, decideRow, viewerDenial, type ConsentBasis, type Decision, type Permission, type RowScope } from '../consent-policy.ts';
import type { DecisionKind } from '../audit.ts';
import { isAgentOf, isUser } from '../identity.ts';
import type { BankContext } from './context.ts';

/** Whose data a field belongs to, and the transaction row when there is one (the bank is this one). */
export interface Scope {
  ownerId: string;
  row?: RowScope;
}

interface Entry {
  basis?: ConsentBasis;
  pending?: Promise<ConsentBasis>;
  /** Row decisions by direction, then by `postedAt`. */
  rows: { CREDIT: Map<string, Decision>; DEBIT: Map<string, Decision> };
}

/** One request's decisions. Lives in the request's context and dies with it. */
export class AccessDecisions {
  private readonly entries = new Map<string, Map<Permission, Entry>>();
  /** Each decision as each rule records it. */
  private readonly recorded = new Map<Decision, Map<string, DecisionKind>>();

  constructor(private readonly ctx: Pick<BankContext, 'identity' | 'bank' | 'now' | 'loaders'>) {}

  /** The decision, synchronously once the owner's consents are in; a promise the first time. */
  decide(ownerId: string, permission: Permission, row?: RowScope): Decision | Promise<Decision> {
    const entry = this.entry(ownerId, permission);
    if (entry.basis) return this.forRow(entry, entry.basis, row);
    return entry.pending!.then((basis) => this.forRow(entry, basis, row));
  }

  /**
   * The decision as the rule `rule` records it (permission, owner, this bank, the consent), the
   * same object for the same decision, so that recording an instance is a lookup.
   */
  judge(rule: string, ownerId: string, permission: Permission, row?: RowScope): DecisionKind | Promise<DecisionKind> {
    const decision = this.decide(ownerId, permission, row);
    return decision instanceof Promise ? decision.then((d) => this.asRecorded(rule, ownerId, permission, d)) : this.asRecorded(rule, ownerId, permission, decision);
  }

  private asRecorded(rule: string, ownerId: string, permission: Permission, decision: Decision): DecisionKind {
    let byRule = this.recorded.get(decision);
    if (!byRule) this.recorded.set(decision, (byRule = new Map()));
    let kind = byRule.get(rule);
    if (!kind) {
      const who = { rule, permission, subjectUserId: ownerId, bankId: this.ctx.bank.id, consentId: decision.consentId };
      byRule.set(rule, (kind = decision.outcome === 'ALLOW' ? { ...who, outcome: 'ALLOW' } : { ...who, outcome: 'DENY', reason: decision.reason }));
    }
    return kind;
  }

  private forRow(entry: Entry, basis: ConsentBasis, row: RowScope | undefined): Decision {
    if (!row || basis.outcome === 'DENY') return decideRow(basis, row);
    const byDate = entry.rows[row.direction];
    let decision = byDate.get(row.postedAt);
    if (!decision) byDate.set(row.postedAt, (decision = decideRow(basis, row)));
    return decision;
  }

  private entry(ownerId: string, permission: Permission): Entry {
    let byPermission = this.entries.get(ownerId);
    if (!byPermission) this.entries.set(ownerId, (byPermission = new Map()));
    let entry = byPermission.get(permission);
    if (entry) return entry;
    const made: Entry = { rows: { CREDIT: new Map(), DEBIT: new Map() } };
    const { identity: viewer, bank, now, loaders } = this.ctx;
    const request = { viewer, ownerId, bankId: bank.id, permission };
    // A viewer who may never see this owner's data is denied without reading any consent.
    if (viewerDenial(viewer, ownerId, bank.id)) made.basis = consentBasis(request, [], now);
    else made.pending = loaders.consentsByUser.load(ownerId).then((consents) => (made.basis = consentBasis(request, consents, now)));
    byPermission.set(permission, (entry = made));
    return entry;
  }
}

export function decide(ctx: BankContext, scope: Scope, permission: Permission): Decision | Promise<Decision> {
  return ctx.access.decide(scope.ownerId, permission, scope.row);
}

/**
 * Whether a lookup by id hands out a reference to this owner's object: to the owner and to this
 * bank's agents only. Anyone else gets null, exactly like an id that does not exist, so ids are
 * no existence oracle; every field of a reference still has its own consent rule.
 */
export function mayReference(ctx: BankContext, ownerId: string): boolean {
  return isUser(ctx.identity, ownerId) || isAgentOf(ctx.identity, ctx.bank.id);
}
