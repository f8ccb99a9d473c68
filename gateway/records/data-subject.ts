// A person's export and erasure across the graph (docs/consent-policy.md, "Data-subject rights"):
// the gateway asks every platform subgraph and every registered bank (not only the banks of the
// directory: a bank's agent may have left records about anyone) through the kit's records routes,
// with the person's own identity, and puts the answers together. A store that does not answer
// makes the export or the erasure incomplete, and says so: never silently partial. Erasure is
// idempotent everywhere, so an incomplete one is simply asked again.
// One person has at most one export or erasure in progress at this gateway: each asks every
// store, and a store's part reads all the person's records, so a second one while the first runs
// is refused (DATA_SUBJECT_REQUEST_IN_PROGRESS) before any store is asked: HTTP 409 when the answer
// has no data, 200 when other fields of the operation answered (gateway/client-mistakes.ts).
import { GraphQLError } from 'graphql';
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import type { RecordsContext } from './context.ts';
import { storeFailure, type RecordStores } from './stores.ts';

export const EXPORT_FORMAT = 'consent-gateway/data-export/v1';

/** The code of a refusal because the same person's export or erasure is still running. */
export const DATA_SUBJECT_REQUEST_IN_PROGRESS = 'DATA_SUBJECT_REQUEST_IN_PROGRESS';

// The people whose export or erasure is running, per gateway (keyed by its stores: each gateway
// has its own). In memory: with several replicas, each allows one per person (say so, README).
const running = new WeakMap<RecordStores, Set<string>>();

/** Runs `work` as the person's only export or erasure at this gateway; refuses if one is running. */
async function alone<T>(ctx: RecordsContext, field: 'myData' | 'eraseMyData', work: () => Promise<T>): Promise<T> {
  const userId = ctx.identity.sub!; // the rule (isFirstPartyUser) let only a signed-in user through
  let people = running.get(ctx.stores);
  if (!people) running.set(ctx.stores, (people = new Set()));
  if (people.has(userId)) {
    throw new GraphQLError(`Your earlier export or erasure is still running: ${field} is refused until it ends. Ask again when it has answered.`, {
      path: [field],
      extensions: { code: DATA_SUBJECT_REQUEST_IN_PROGRESS },
    });
  }
  people.add(userId);
  try {
    return await work();
  } finally {
    people.delete(userId);
  }
}

export async function myData(_root: unknown, _args: unknown, ctx: RecordsContext) {
  return alone(ctx, 'myData', async () => {
    const answers = await ctx.stores.ask<Record<string, unknown>>(ctx.stores.select(), RECORDS_ROUTES.export, {}, ctx);
    const unavailable = answers.filter((a) => !a.body).map((a) => a.store.label);
    for (const answer of answers) if (!answer.body) ctx.problems.push(storeFailure(answer, 'myData', 'its part is missing from the export'));
    const exportedAt = ctx.now.toISOString();
    const complete = unavailable.length === 0;
    const services = Object.fromEntries(answers.filter((a) => a.body).map((a) => [a.store.label, a.body]));
    return { exportedAt, complete, unavailable, document: { format: EXPORT_FORMAT, userId: ctx.identity.sub, exportedAt, complete, unavailable, services } };
  });
}

export async function eraseMyData(_root: unknown, _args: unknown, ctx: RecordsContext) {
  return alone(ctx, 'eraseMyData', async () => {
    const answers = await ctx.stores.ask<{ erased: Record<string, number> }>(ctx.stores.select(), RECORDS_ROUTES.erase, {}, ctx);
    for (const answer of answers) if (!answer.body) ctx.problems.push(storeFailure(answer, 'eraseMyData', 'its part of the erasure is not done: ask again'));
    const steps = answers.map((a) => (a.body ? { service: a.store.label, status: 'DONE', counts: a.body.erased } : { service: a.store.label, status: 'FAILED', counts: null }));
    return { requestedAt: ctx.now.toISOString(), complete: steps.every((s) => s.status === 'DONE'), steps };
  });
}
