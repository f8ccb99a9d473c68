// The hash chains of decision records, on their own (no I/O): what verification catches, that
// erasing plain user ids leaves every chain intact, and that removing them otherwise is caught.
// The same checks against a real store, through `npm run audit:verify`, are in test/audit.test.ts.
import { describe, expect, it } from 'vitest';
import type { AuditRecord, StoredRecord } from '@consent-gateway/kit/audit';
import { chainedSink, ERASURE_FIELD, GENESIS, linkRecords, pseudonymizer, recordHash, verifyChains } from '@consent-gateway/kit/audit-chain';

const pseudonym = pseudonymizer('a-store-audit-key-of-32-characters!');

function record(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    _id: `r${String(n).padStart(3, '0')}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    requestId: `req-${n}`,
    subgraph: 'bank-account',
    operationName: 'MyOverview',
    operationHash: 'ab'.repeat(32),
    outcome: 'ALLOW',
    reason: null,
    rule: 'accountConsent(BALANCES)',
    permission: 'BALANCES',
    consentId: 'northwind:cns_x',
    field: 'BankAccount.balance',
    count: 1,
    viewerKind: 'USER',
    viewerId: 'alice',
    client: 'messenger-web',
    purpose: 'customer_service',
    subjectUserId: 'alice',
    bankId: 'northwind',
    ...extra,
  };
}

const chainOf = (name: string, n: number) => linkRecords(name, null, Array.from({ length: n }, (_, i) => record(i)), pseudonym);
const problems = async (records: StoredRecord[], options = {}) => (await verifyChains(records, options)).breaks.map((b) => [b.chain, b.seq, b.problem]);

describe('a chain of decision records', () => {
  it('links each record to the previous one, from GENESIS, with consecutive sequence numbers', async () => {
    const chain = chainOf('c', 3);
    expect(chain.map((r) => [r.seq, r.prev])).toEqual([[0, GENESIS], [1, chain[0]!.hash], [2, chain[1]!.hash]]);
    expect(chain[0]!.subjectRef).toBe(pseudonym('alice'));
    const report = await verifyChains(chain, { pseudonym });
    expect(report).toEqual({ records: 3, heads: { c: { seq: 2, hash: chain[2]!.hash } }, breaks: [] });
  });

  it('continues after a head (one write per batch)', async () => {
    const first = chainOf('c', 2);
    const next = linkRecords('c', { seq: 1, hash: first[1]!.hash }, [record(2), record(3)], pseudonym);
    expect(next.map((r) => r.seq)).toEqual([2, 3]);
    expect((await verifyChains([...first, ...next])).breaks).toEqual([]);
  });

  it('catches an altered record, an altered and re-hashed record, a deleted record and a duplicated one', async () => {
    const altered = chainOf('c', 4);
    altered[1] = { ...altered[1]!, outcome: 'DENY' };
    expect(await problems(altered)).toEqual([['c', 1, 'the record was altered: its content does not match its hash']]);

    const rehashed = chainOf('c', 4);
    const { hash: _h, ...content } = { ...rehashed[1]!, field: 'BankAccount.accountNumber' };
    rehashed[1] = { ...content, hash: recordHash(content) };
    expect(await problems(rehashed)).toEqual([['c', 2, expect.stringMatching(/^the link to the previous record is broken/)]]);

    const deleted = chainOf('c', 4);
    deleted.splice(2, 1);
    expect(await problems(deleted)).toEqual([['c', 2, 'record 2 is missing (deleted)']]);

    const first = chainOf('c', 3);
    first.shift();
    expect(await problems(first)).toEqual([['c', 0, 'record 0 is missing (deleted)']]);

    const duplicated = chainOf('c', 3);
    duplicated.splice(2, 0, duplicated[1]!);
    expect(await problems(duplicated)).toEqual([['c', 1, 'sequence number 1 appears twice']]);
  });

  it('reports the first broken link of every chain, and counts every record', async () => {
    const a = chainOf('a', 3);
    const b = chainOf('b', 5);
    a[0] = { ...a[0]!, count: 7 };
    b.splice(3, 1);
    const report = await verifyChains([...a, ...b]);
    expect(report.records).toBe(7);
    expect(report.breaks.map((x) => [x.chain, x.seq])).toEqual([['a', 0], ['b', 3]]);
  });

  it('catches a plain user id changed behind its pseudonym, with the store key only', async () => {
    const chain = chainOf('c', 2);
    chain[1] = { ...chain[1]!, subjectUserId: 'bob' };
    expect(await problems(chain)).toEqual([]);
    expect(await problems(chain, { pseudonym })).toEqual([['c', 1, 'subjectUserId was altered: it does not match its pseudonym']]);
  });

  /** alice's erasure as the records route writes it: her own allowed eraseMyData, recorded before anything is erased. */
  const erasure = (n: number, userId = 'alice') => record(n, { field: ERASURE_FIELD, rule: 'isFirstPartyUser', permission: null, consentId: null, bankId: null, viewerId: userId, subjectUserId: userId });
  /** What erasure does to a stored record of `userId`: its plain ids removed, nothing the hash covers touched. */
  const erased = (r: StoredRecord, userId = 'alice') => ({ ...r, viewerId: r.viewerId === userId ? null : r.viewerId, subjectUserId: r.subjectUserId === userId ? null : r.subjectUserId });

  it('still verifies once plain user ids are erased: the chain covers their pseudonyms, and the erasure is a record of it', async () => {
    const chain = linkRecords('c', null, [record(0), record(1), record(2), erasure(3)], pseudonym).map((r) => erased(r));
    expect(chain.every((r) => r.viewerId === null && r.subjectUserId === null)).toBe(true);
    expect(await problems(chain, { pseudonym })).toEqual([]);
    // The erasure may be in another chain of the store (another process of the subgraph).
    const other = linkRecords('d', null, [erasure(5)], pseudonym).map((r) => erased(r));
    expect(await problems([...chainOf('c', 3).map((r) => erased(r)), ...other])).toEqual([]);
  });

  it('catches plain user ids removed by anything but an erasure of that person, with or without the key', async () => {
    // Nobody asked for erasure: ids set to null on a record are tampering.
    const nulled = chainOf('c', 4);
    nulled[2] = { ...nulled[2]!, viewerId: null, subjectUserId: null };
    expect(await problems(nulled)).toEqual([['c', 2, 'viewerId was removed, but this store recorded no erasure of that person at or after the record']]);
    expect(await problems(nulled, { pseudonym })).toEqual([['c', 2, 'viewerId was removed, but this store recorded no erasure of that person at or after the record']]);
    // Only the subject's id.
    const subject = chainOf('c', 2);
    subject[1] = { ...subject[1]!, subjectUserId: null };
    expect(await problems(subject)).toEqual([['c', 1, 'subjectUserId was removed, but this store recorded no erasure of that person at or after the record']]);
    // Someone else's erasure accounts for nothing of alice's.
    const bobs = linkRecords('c', null, [record(0), erasure(1, 'bob')], pseudonym).map((r) => erased(r, 'bob'));
    bobs[0] = { ...bobs[0]!, viewerId: null };
    expect(await problems(bobs)).toEqual([['c', 0, 'viewerId was removed, but this store recorded no erasure of that person at or after the record']]);
    // A record made after her erasure keeps her ids: removing them is not the erasure's doing.
    const later = linkRecords('c', null, [record(0), erasure(1), record(2)], pseudonym).map((r) => erased(r));
    expect(await problems(later)).toEqual([['c', 2, 'viewerId was removed, but this store recorded no erasure of that person at or after the record']]);
    // A removal after an earlier break of the same chain, and one before a later break: both are
    // reported, each on its own line, in the order of the chain.
    const both = chainOf('c', 4);
    both[1] = { ...both[1]!, count: 9 };
    both[3] = { ...both[3]!, viewerId: null };
    expect(await problems(both)).toEqual([
      ['c', 1, 'the record was altered: its content does not match its hash'],
      ['c', 3, 'viewerId was removed, but this store recorded no erasure of that person at or after the record'],
    ]);
    const first = chainOf('c', 4);
    first[1] = { ...first[1]!, viewerId: null };
    first[3] = { ...first[3]!, count: 9 };
    expect(await problems(first)).toEqual([
      ['c', 1, 'viewerId was removed, but this store recorded no erasure of that person at or after the record'],
      ['c', 3, 'the record was altered: its content does not match its hash'],
    ]);
    // Removed from many records: the first is named, with how many more.
    const many = chainOf('c', 5).map((r, i) => (i >= 1 ? { ...r, subjectUserId: null } : r));
    expect(await problems(many)).toEqual([['c', 1, 'subjectUserId was removed, but this store recorded no erasure of that person at or after the record (and plain ids were removed from 3 more records of this chain)']]);
  });

  describe('a deleted record and an erasure in the same chain', () => {
    /** Records 0..n-1 of alice, her erasure at `erasureAt`; erased as the store erases (records up to her erasure). */
    function erasedChain(n: number, erasureAt: number, key = pseudonym) {
      const chain = linkRecords('c', null, Array.from({ length: n }, (_, i) => (i === erasureAt ? erasure(i) : record(i))), key);
      return chain.map((r) => (r.seq <= erasureAt ? erased(r) : r));
    }
    const without = (chain: StoredRecord[], seq: number) => chain.filter((r) => r.seq !== seq);

    it('deletion first, then a legitimate erasure: the deletion is reported, the erasure accounts for its removals (with and without the key)', async () => {
      const chain = without(erasedChain(8, 6), 3);
      for (const options of [{}, { pseudonym }]) expect(await problems(chain, options)).toEqual([['c', 3, 'record 3 is missing (deleted)']]);
      // Several records deleted before it: the same.
      expect(await problems(erasedChain(8, 6).filter((r) => r.seq !== 2 && r.seq !== 3), { pseudonym })).toEqual([['c', 2, 'records 2 to 3 are missing (deleted)']]);
    });

    it('a legitimate erasure first, then a deletion: the deletion is reported, nothing else', async () => {
      const chain = without(erasedChain(8, 2), 5);
      for (const options of [{}, { pseudonym }]) expect(await problems(chain, options)).toEqual([['c', 5, 'record 5 is missing (deleted)']]);
    });

    it('a deletion and a removal no erasure accounts for: both reported, whichever comes first', async () => {
      // Removal before the deletion.
      const removedFirst = without(chainOf('c', 6), 4).map((r) => (r.seq === 1 ? { ...r, viewerId: null } : r));
      expect(await problems(removedFirst, { pseudonym })).toEqual([
        ['c', 1, 'viewerId was removed, but this store recorded no erasure of that person at or after the record'],
        ['c', 4, 'record 4 is missing (deleted)'],
      ]);
      // Deletion before the removal.
      const deletedFirst = without(chainOf('c', 6), 1).map((r) => (r.seq === 4 ? { ...r, viewerId: null } : r));
      expect(await problems(deletedFirst, { pseudonym })).toEqual([
        ['c', 1, 'record 1 is missing (deleted)'],
        ['c', 4, 'viewerId was removed, but this store recorded no erasure of that person at or after the record'],
      ]);
      // A record made after her erasure, past a deletion, has its ids removed: not the erasure's doing.
      const late = without(erasedChain(8, 2), 4).map((r) => (r.seq === 6 ? { ...r, viewerId: null, subjectUserId: null } : r));
      expect(await problems(late, { pseudonym })).toEqual([
        ['c', 4, 'record 4 is missing (deleted)'],
        ['c', 6, 'viewerId was removed, but this store recorded no erasure of that person at or after the record'],
      ]);
    });

    it('past a deletion, with the key, a forged erasure still accounts for nothing', async () => {
      const before = without(chainOf('c', 4), 1);
      const forged = linkRecords('c', before.at(-1)!, [erasure(4)], pseudonymizer('the-forger-does-not-have-the-key-!!'));
      forged[0] = { ...forged[0]!, viewerRef: before[0]!.viewerRef, subjectRef: before[0]!.subjectRef };
      forged[0] = { ...forged[0]!, hash: recordHash(forged[0]!), seal: undefined };
      const doctored = [...before, ...forged].map((r) => erased(r));
      expect(await problems(doctored, { pseudonym })).toEqual([
        ['c', 0, 'viewerId was removed, but this store recorded no erasure of that person at or after the record (and plain ids were removed from 2 more records of this chain)'],
        ['c', 1, 'record 1 is missing (deleted)'],
      ]);
    });

    it('an altered erasure record accounts for nothing, even past a deletion', async () => {
      const chain = without(erasedChain(8, 6), 3);
      const at = chain.findIndex((r) => r.seq === 6);
      chain[at] = { ...chain[at]!, at: '2030-01-01T00:00:00.000Z' }; // made to look later than it was: its hash no longer matches
      expect(await problems(chain)).toEqual([
        ['c', 0, 'viewerId was removed, but this store recorded no erasure of that person at or after the record (and plain ids were removed from 4 more records of this chain)'],
        ['c', 3, 'record 3 is missing (deleted)'],
      ]);
    });
  });

  it("catches an erasure record forged to cover a removal, with the store key: only the store can seal one", async () => {
    const honest = linkRecords('c', null, [record(0), record(1), erasure(2)], pseudonym);
    expect(honest[2]!.seal).toBe(pseudonym.seal(honest[2]!.hash));
    expect(honest.slice(0, 2).every((r) => r.seal === undefined)).toBe(true); // only erasures are sealed
    expect(await problems(honest.map((r) => erased(r)), { pseudonym })).toEqual([]);
    // Someone with write access appends an erasure of alice (the hash is not keyed; her pseudonym
    // is copied from her records), then removes her ids: the chain holds, only the seal tells.
    const before = chainOf('c', 2);
    const forged = linkRecords('c', before.at(-1)!, [erasure(2)], pseudonymizer('the-forger-does-not-have-the-key-!!'));
    forged[0] = { ...forged[0]!, viewerRef: before[0]!.viewerRef, subjectRef: before[0]!.subjectRef };
    forged[0] = { ...forged[0]!, hash: recordHash(forged[0]!), seal: undefined };
    const doctored = [...before, ...forged].map((r) => erased(r));
    expect(await problems(doctored)).toEqual([]); // without the key, the chain is all there is
    // With the key the forged erasure accounts for nothing: the removal is caught where it was
    // made, and the forgery is reported too.
    expect(await problems(doctored, { pseudonym })).toEqual([
      ['c', 0, 'viewerId was removed, but this store recorded no erasure of that person at or after the record (and plain ids were removed from 1 more record of this chain)'],
      ['c', 2, "an erasure record without the store's seal: it was not written by the store (forged), or altered"],
    ]);
    // And the forgery itself is reported, whether unsealed or sealed with another key.
    expect(await problems([...before, ...forged], { pseudonym })).toEqual([['c', 2, "an erasure record without the store's seal: it was not written by the store (forged), or altered"]]);
    const otherSeal = [...before, { ...forged[0]!, seal: pseudonymizer('the-forger-does-not-have-the-key-!!').seal(forged[0]!.hash) }];
    expect((await problems(otherSeal, { pseudonym }))[0]?.[2]).toMatch(/without the store's seal/);
  });

  it('catches a plain user id added to a record that names nobody', async () => {
    const chain = linkRecords('c', null, [record(0, { viewerKind: 'ANONYMOUS', viewerId: null, subjectUserId: null })], pseudonym);
    expect(chain[0]!.viewerRef).toBeNull();
    const added = [{ ...chain[0]!, viewerId: 'alice' }];
    expect(await problems(added)).toEqual([['c', 0, 'viewerId was added: the record names no viewer']]);
    expect(await problems([{ ...chain[0]!, subjectUserId: 'alice' }])).toEqual([['c', 0, 'subjectUserId was added: the record names no data subject']]);
  });

  it('shows truncation and deletion of whole chains against anchors taken earlier, and a rewrite below an anchor', async () => {
    const chain = chainOf('c', 5);
    const { heads } = await verifyChains(chain);
    expect(await problems(chain.slice(0, 3), { anchors: heads })).toEqual([['c', 4, 'the chain ends at 2, before the anchor taken earlier: its last records were deleted']]);
    expect(await problems([], { anchors: heads })).toEqual([['c', 4, 'the chain was deleted (an anchor taken earlier names it)']]);
    // Rewritten from scratch (every hash recomputed): the chain holds together, the anchor does not.
    const rewritten = linkRecords('c', null, chain.map(({ hash: _h, prev: _p, seq: _s, chain: _c, viewerRef: _v, subjectRef: _r, v: _f, ...r }) => ({ ...r, outcome: 'DENY' as const })), pseudonym);
    expect(await problems(rewritten, { anchors: heads })).toEqual([['c', 4, 'the record differs from the anchor taken earlier: the chain was rewritten']]);
    // Without anchors, truncating the tail cannot be seen: that is what anchors are for.
    expect(await problems(chain.slice(0, 3))).toEqual([]);
  });
});

describe('the chained sink', () => {
  /** A store in memory that refuses a (chain, seq) it holds, and can be made to fail. */
  function memoryStore() {
    const records: StoredRecord[] = [];
    const state = { failNext: false, writes: 0 };
    return {
      records,
      state,
      async appendRecords(batch: StoredRecord[]) {
        await new Promise((resolve) => setImmediate(resolve));
        state.writes += 1;
        if (state.failNext) {
          state.failNext = false;
          throw new Error('the store is down');
        }
        if (batch.some((r) => records.some((s) => s.chain === r.chain && s.seq === r.seq))) throw new Error('duplicate (chain, seq)');
        records.push(...batch);
      },
      async chainHead(chain: string) {
        const last = records.filter((r) => r.chain === chain).at(-1);
        return last ? { seq: last.seq, hash: last.hash } : null;
      },
    };
  }

  it('writes concurrent batches one at a time, together when they wait (never more writes than batches), into one intact chain', async () => {
    const store = memoryStore();
    const sink = chainedSink(store, { chain: 'w', pseudonym });
    await Promise.all(Array.from({ length: 20 }, (_, i) => sink.recordDecisions([record(2 * i), record(2 * i + 1)])));
    expect(store.records).toHaveLength(40);
    expect(store.state.writes).toBeLessThanOrEqual(20);
    expect(store.state.writes).toBeLessThan(20); // batches that waited were written together
    expect((await verifyChains(store.records, { pseudonym })).breaks).toEqual([]);
  });

  it('after a failed write, rejects that batch and links the next one to what the store really holds', async () => {
    const store = memoryStore();
    const sink = chainedSink(store, { chain: 'w', pseudonym });
    await sink.recordDecisions([record(0)]);
    store.state.failNext = true;
    await expect(sink.recordDecisions([record(1)])).rejects.toThrow('the store is down');
    await sink.recordDecisions([record(2)]);
    expect(store.records.map((r) => [r._id, r.seq])).toEqual([['r000', 0], ['r002', 1]]);
    expect((await verifyChains(store.records)).breaks).toEqual([]);
  });

  it('gives every writer its own chain: two writers on one store never contend for a link', async () => {
    const store = memoryStore();
    const one = chainedSink(store, { chain: 'one', pseudonym });
    const two = chainedSink(store, { chain: 'two', pseudonym });
    await Promise.all([one.recordDecisions([record(0)]), two.recordDecisions([record(1)]), one.recordDecisions([record(2)]), two.recordDecisions([record(3)])]);
    const sorted = [...store.records].sort((a, b) => a.chain.localeCompare(b.chain) || a.seq - b.seq);
    const report = await verifyChains(sorted);
    expect(report.breaks).toEqual([]);
    expect(Object.keys(report.heads)).toEqual(['one', 'two']);
  });
});
