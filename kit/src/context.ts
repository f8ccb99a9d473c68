// What every subgraph's per-request context holds, before the subgraph adds its own loaders.
import { GraphQLError } from 'graphql';
import type { DecisionRecorder, OperationRef } from './audit.ts';
import type { Identity } from './identity.ts';
import { pastDeadline } from './internal-token.ts';

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
  /**
   * When the gateway stops waiting for this request, in epoch milliseconds (the token's `dl`
   * claim, internal-token.ts); absent when the token has none. See `checkDeadline`.
   */
  deadline?: number;
  decisions: DecisionRecorder;
}

/** The code of a request refused because the gateway had stopped waiting for it. */
export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED';

/** A request refused before any of it ran (create-subgraph.ts). */
export const DEADLINE_MESSAGE = 'The gateway stopped waiting for this request (its deadline passed): none of it was run.';

/**
 * Throws DEADLINE_EXCEEDED once the gateway has stopped waiting for this request: what it would
 * write now, the client was told failed. The kit checks before the request runs and before each
 * root mutation field (create-subgraph.ts); a resolver that awaits something (a read, a call)
 * before it writes calls this right before the write.
 */
export function checkDeadline(ctx: Pick<KitContext, 'deadline'>, now: number = Date.now()): void {
  if (pastDeadline(ctx.deadline, now)) {
    throw new GraphQLError('The gateway stopped waiting for this request (its deadline passed): this was not done.', { extensions: { code: DEADLINE_EXCEEDED } });
  }
}
