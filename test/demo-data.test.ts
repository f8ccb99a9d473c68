// The demo data's ids: reproducible by default (the test stacks and the benchmarks rely on the
// same ids every run), random for the stacks people use (`npm start`, `npm run seed`), in the
// same shape as the ids the services make at run time. The values are the same either way.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bankOfId } from '@consent-gateway/kit/ids';
import { demoData, type DemoData } from '../scripts/demo-data.ts';

const ANCHOR = new Date('2026-01-01T00:00:00Z');

/** Every id of the data set, bank objects and platform objects alike. */
function ids(data: DemoData): string[] {
  const bank = Object.values(data.banks).flatMap((b) => [...b.accounts, ...b.transactions, ...b.merchants, ...b.consents].map((d) => d._id));
  return [...bank, ...data.messaging.conversations.map((c) => c._id), ...data.messaging.messages.map((m) => m._id)];
}

/** The data set with its ids replaced by their position of first appearance, references included. */
function withoutIds(data: DemoData): string {
  const order = new Map(ids(data).map((id, i) => [id, `#${i}`]));
  return JSON.stringify(data, (_key, value) => (typeof value === 'string' && order.has(value) ? order.get(value) : value));
}

describe('demo data ids', () => {
  it('are the same on every run by default (tests and benchmarks)', () => {
    expect(ids(demoData(ANCHOR))).toEqual(ids(demoData(ANCHOR)));
  });

  it("are fresh and unguessable when asked for, with the same values and references, in the services' shape", () => {
    const [a, b] = [demoData(ANCHOR, { ids: 'random' }), demoData(ANCHOR, { ids: 'random' })];
    const seeded = demoData(ANCHOR);
    expect(ids(a).filter((id) => ids(b).includes(id) || ids(seeded).includes(id))).toEqual([]);
    expect(new Set(ids(a)).size).toBe(ids(a).length);
    expect(withoutIds(a)).toBe(withoutIds(seeded));
    for (const id of ids(a)) expect(id).toMatch(/^([a-z][a-z0-9-]+:)?[a-z]{2,8}_[A-Za-z0-9_-]{22}$/);
    expect(a.banks.northwind.transactions.every((t) => bankOfId(t._id) === 'northwind')).toBe(true);
  });

  it('npm start and npm run seed ask for random ids', () => {
    for (const script of ['../scripts/start.ts', '../scripts/seed.ts']) {
      expect(readFileSync(new URL(script, import.meta.url), 'utf8'), script).toMatch(/demoData\(defaultAnchor\(\), \{ ids: 'random' \}\)/);
    }
  });
});
