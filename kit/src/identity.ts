// Who is asking, as verified by the gateway and carried to subgraphs in its internal token.

/** The closed set of purposes a request may declare. Advertising and the like are not representable. */
export const PURPOSES = ['customer_service', 'account_overview', 'spending_insights', 'fraud_prevention'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** The GraphQL `Purpose` enum's resolver: `CUSTOMER_SERVICE` ↔ `customer_service`. */
export const PURPOSE_ENUM = Object.fromEntries(PURPOSES.map((p) => [p.toUpperCase(), p])) as Record<Uppercase<Purpose>, Purpose>;

export const ROLES = ['user', 'bank_agent', 'security_reviewer'] as const;
export type Role = (typeof ROLES)[number];

export type ClientType = 'first-party' | 'third-party';

export interface Identity {
  /** User id (or agent id for bank agents); absent for anonymous requests. */
  sub?: string;
  client?: string;
  clientType?: ClientType;
  roles: Role[];
  /** The bank a `bank_agent` works for. */
  bank?: string;
  purpose?: Purpose;
}

export const ANONYMOUS: Identity = Object.freeze({ roles: [] }) as Identity;

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export type ViewerKind = 'ANONYMOUS' | 'USER' | 'BANK_AGENT' | 'SECURITY_REVIEWER';

/** The one kind an identity acts as, for audit records. */
export function viewerKind(identity: Identity): ViewerKind {
  if (!identity.sub) return 'ANONYMOUS';
  if (identity.roles.includes('bank_agent')) return 'BANK_AGENT';
  if (identity.roles.includes('user')) return 'USER';
  if (identity.roles.includes('security_reviewer')) return 'SECURITY_REVIEWER';
  return 'ANONYMOUS';
}

/** The signed-in user acting for themself (not an agent or a reviewer). */
export function isUser(identity: Identity, userId?: string): boolean {
  return !!identity.sub && identity.roles.includes('user') && (userId === undefined || identity.sub === userId);
}

export function isAgentOf(identity: Identity, bankId: string): boolean {
  return !!identity.sub && identity.roles.includes('bank_agent') && identity.bank === bankId;
}
