// What every subgraph's per-request context holds, before the subgraph adds its own loaders.
import type { DecisionRecorder, OperationRef } from './audit.ts';
import type { Identity } from './identity.ts';

export interface KitContext {
  subgraph: string;
  identity: Identity;
  requestId: string;
  /** The client's operation (name and document hash), as the gateway saw it. */
  operation?: OperationRef;
  /** The user whose objects alone a lookup by id may hand out, on a reference check (internal-token.ts). */
  referenceFor?: string;
  /** One clock reading per request, so every rule of a request judges expiry at the same instant. */
  now: Date;
  decisions: DecisionRecorder;
}
