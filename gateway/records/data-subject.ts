// A person's export and erasure across the graph (docs/consent-policy.md, "Data-subject rights"):
// the gateway asks every platform subgraph and every registered bank (not only the banks of the
// directory: a bank's agent may have left records about anyone) through the kit's records routes,
// with the person's own identity, and puts the answers together. A store that does not answer
// makes the export or the erasure incomplete, and says so: never silently partial. Erasure is
// idempotent everywhere, so an incomplete one is simply asked again.
import { RECORDS_ROUTES } from '@consent-gateway/kit/records-routes';
import type { RecordsContext } from './context.ts';
import { storeFailure } from './stores.ts';

export const EXPORT_FORMAT = 'consent-gateway/data-export/v1';

export async function myData(_root: unknown, _args: unknown, ctx: RecordsContext) {
  const answers = await ctx.stores.ask<Record<string, unknown>>(ctx.stores.select(), RECORDS_ROUTES.export, {}, ctx);
  const unavailable = answers.filter((a) => !a.body).map((a) => a.store.label);
  for (const answer of answers) if (!answer.body) ctx.problems.push(storeFailure(answer, 'myData', 'its part is missing from the export'));
  const exportedAt = ctx.now.toISOString();
  const complete = unavailable.length === 0;
  const services = Object.fromEntries(answers.filter((a) => a.body).map((a) => [a.store.label, a.body]));
  return { exportedAt, complete, unavailable, document: { format: EXPORT_FORMAT, userId: ctx.identity.sub, exportedAt, complete, unavailable, services } };
}

export async function eraseMyData(_root: unknown, _args: unknown, ctx: RecordsContext) {
  const answers = await ctx.stores.ask<{ erased: Record<string, number> }>(ctx.stores.select(), RECORDS_ROUTES.erase, {}, ctx);
  for (const answer of answers) if (!answer.body) ctx.problems.push(storeFailure(answer, 'eraseMyData', 'its part of the erasure is not done: ask again'));
  const steps = answers.map((a) => (a.body ? { service: a.store.label, status: 'DONE', counts: a.body.erased } : { service: a.store.label, status: 'FAILED', counts: null }));
  return { requestedAt: ctx.now.toISOString(), complete: steps.every((s) => s.status === 'DONE'), steps };
}
