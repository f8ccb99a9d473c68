// What every subgraph's per-request context holds, before the subgraph adds its own loaders.
import type { DecisionRecorder } from './audit.ts';
import type { Identity } from './identity.ts';

export interface KitContext {
  subgraph: string;
  identity: Identity;
  requestId: string;
  /** One clock reading per request, so every rule of a request judges expiry at the same instant. */
  now: Date;
  decisions: DecisionRecorder;
}
