// Per-request access decisions on a bank's data. The rules and the resolvers that must know which
// consent opened a field (to clamp a window, to filter credits/debits) ask the same function, so
// they can never disagree. Consents are loaded once per owner per request and never cached longer.
//
// Each distinct decision is computed once per request: the viewer, the purpose, the bank and the
// clock are fixed for a request, so a decision depends only on the owner, the permission and, for
// a transaction row, the row's direction and date. The part without the row (the owner's consents
// judged for the permission: kit/src/consent-policy.ts, consentBasis) is memoised per owner and
// permission, and a row's decision per direction, and per date too when a consent's window makes
// the date matter; a page of 100 rows costs a few map lookups per field instead of an evaluation
// of the policy.
import { consentBasis, decideRow, viewerDenial, type ConsentBasis, type ConsentRecord, type Decision, type Permission, type RowScope } from '../consent-policy.ts';
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
  /** A row's decision by direction, when no consent has a window (the date cannot matter). */
  undated?: Record<RowScope['direction'], Decision>;
  /** Otherwise by direction and date. */
  dated: Record<RowScope['direction'], Map<string, Decision>>;
  /** Each decision of this entry as each rule records it. */
  recorded: Map<string, Map<Decision, DecisionKind>>;
}

/** One request's decisions. Lives in the request's context and dies with it. */
export class AccessDecisions {
  private readonly entries = new Map<string, Map<Permission, Entry>>();
  /** Rows' dates as times, parsed once for all the permissions asked of a row. */
  private readonly times = new Map<string, number>();
  /**
   * Per rule, its answer for one owner when that answer cannot depend on the row's date (no
   * window, or a denial): by direction, and without a row. Most fields of a request ask this.
   */
  private readonly settled = new Map<string, { ownerId: string; withoutRow?: DecisionKind; byDirection?: Record<RowScope['direction'], DecisionKind> }>();
  /** Each owner's consents once read (this request's only), or the read under way. */
  private readonly consents = new Map<string, readonly ConsentRecord[] | Promise<readonly ConsentRecord[]>>();

  constructor(private readonly ctx: Pick<BankContext, 'identity' | 'bank' | 'now' | 'loaders'>) {}

  /** The decision, synchronously once the owner's consents are in; a promise the first time. */
  decide(ownerId: string, permission: Permission, row?: RowScope): Decision | Promise<Decision> {
    const entry = this.entry(ownerId, permission);
    if (entry.basis) return this.forRow(entry, entry.basis, row);
    return entry.pending!.then((basis) => this.forRow(entry, basis, row));
  }

  /**
   * Whether the owner's consents open `permission` on every row of theirs, whatever its direction
   * and date (no window, credits and debits both): then a row of theirs may be read with the
   * fields of that permission before its own rule runs, since that rule can only pass.
   */
  async opensEveryRow(ownerId: string, permission: Permission): Promise<boolean> {
    const entry = this.entry(ownerId, permission);
    const basis = entry.basis ?? (await entry.pending!);
    return basis.outcome === 'ALLOW' && !basis.dated && basis.given.some((c) => c.credit) && basis.given.some((c) => c.debit);
  }

  /**
   * The decision as the rule `rule` records it (permission, owner, this bank, the consent), the
   * same object for the same decision, so that recording an instance is a lookup.
   */
  judge(rule: string, ownerId: string, permission: Permission, row?: RowScope): DecisionKind | Promise<DecisionKind> {
    const settled = this.settled.get(rule);
    if (settled?.ownerId === ownerId) {
      const kind = row ? settled.byDirection?.[row.direction] : settled.withoutRow;
      if (kind) return kind;
    }
    const entry = this.entry(ownerId, permission);
    if (entry.basis) return this.judged(entry, entry.basis, rule, ownerId, permission, row);
    return entry.pending!.then((basis) => this.judged(entry, basis, rule, ownerId, permission, row));
  }

  private judged(entry: Entry, basis: ConsentBasis, rule: string, ownerId: string, permission: Permission, row: RowScope | undefined): DecisionKind {
    const as = (r: RowScope | undefined) => this.recordedAs(entry, rule, ownerId, permission, this.forRow(entry, basis, r));
    const kind = as(row);
    // Unless a row's date can change it, this rule's answer for this owner is settled.
    if (row && basis.outcome === 'ALLOW' && basis.dated) return kind;
    let settled = this.settled.get(rule);
    if (settled?.ownerId !== ownerId) this.settled.set(rule, (settled = { ownerId }));
    if (!row) settled.withoutRow = kind;
    else settled.byDirection = { CREDIT: as({ ...row, direction: 'CREDIT' }), DEBIT: as({ ...row, direction: 'DEBIT' }) };
    return kind;
  }

  private recordedAs(entry: Entry, rule: string, ownerId: string, permission: Permission, decision: Decision): DecisionKind {
    let byDecision = entry.recorded.get(rule);
    if (!byDecision) entry.recorded.set(rule, (byDecision = new Map()));
    let kind = byDecision.get(decision);
    if (!kind) {
      const who = { rule, permission, subjectUserId: ownerId, bankId: this.ctx.bank.id, consentId: decision.consentId };
      byDecision.set(decision, (kind = decision.outcome === 'ALLOW' ? { ...who, outcome: 'ALLOW' } : { ...who, outcome: 'DENY', reason: decision.reason }));
    }
    return kind;
  }

  private forRow(entry: Entry, basis: ConsentBasis, row: RowScope | undefined): Decision {
    if (!row || basis.outcome === 'DENY') return decideRow(basis, row);
    if (!basis.dated) {
      entry.undated ??= { CREDIT: decideRow(basis, { direction: 'CREDIT', postedAt: '' }), DEBIT: decideRow(basis, { direction: 'DEBIT', postedAt: '' }) };
      return entry.undated[row.direction];
    }
    const byDate = entry.dated[row.direction];
    let decision = byDate.get(row.postedAt);
    if (!decision) {
      let time = this.times.get(row.postedAt);
      if (time === undefined) this.times.set(row.postedAt, (time = Date.parse(row.postedAt)));
      byDate.set(row.postedAt, (decision = decideRow(basis, row, time)));
    }
    return decision;
  }

  private entry(ownerId: string, permission: Permission): Entry {
    let byPermission = this.entries.get(ownerId);
    if (!byPermission) this.entries.set(ownerId, (byPermission = new Map()));
    let entry = byPermission.get(permission);
    if (entry) return entry;
    const made: Entry = { dated: { CREDIT: new Map(), DEBIT: new Map() }, recorded: new Map() };
    const { identity: viewer, bank, now } = this.ctx;
    const request = { viewer, ownerId, bankId: bank.id, permission };
    // A viewer who may never see this owner's data is denied without reading any consent.
    if (viewerDenial(viewer, ownerId, bank.id)) made.basis = consentBasis(request, [], now);
    else {
      // Once the owner's consents are in, every other permission of theirs is decided at once,
      // without waiting for a promise (a page's rows ask for several permissions in one pass).
      const consents = this.consentsOf(ownerId);
      if (consents instanceof Promise) made.pending = consents.then((read) => (made.basis = consentBasis(request, read, now)));
      else made.basis = consentBasis(request, consents, now);
    }
    byPermission.set(permission, (entry = made));
    return entry;
  }

  private consentsOf(ownerId: string): readonly ConsentRecord[] | Promise<readonly ConsentRecord[]> {
    let consents = this.consents.get(ownerId);
    if (!consents) {
      const reading = this.ctx.loaders.consentsByUser.load(ownerId);
      this.consents.set(ownerId, (consents = reading));
      reading.then((read) => this.consents.set(ownerId, read), () => {});
    }
    return consents;
  }
}

export function decide(ctx: BankContext, scope: Scope, permission: Permission): Decision | Promise<Decision> {
  return ctx.access.decide(scope.ownerId, permission, scope.row);
}

/**
 * Whether a lookup by id hands out a reference to this owner's object: to the owner and to this
 * bank's agents only. Anyone else gets null, exactly like an id that does not exist, so ids are
 * no existence oracle; every field of a reference still has its own consent rule. On the
 * gateway's check of a reference for a conversation (`referenceFor`), only that user's objects.
 */
export function mayReference(ctx: BankContext, ownerId: string): boolean {
  if (ctx.referenceFor !== undefined && ownerId !== ctx.referenceFor) return false;
  return isUser(ctx.identity, ownerId) || isAgentOf(ctx.identity, ctx.bank.id);
}
