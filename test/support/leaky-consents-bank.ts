// A bank built with the kit over an adapter whose consentsOfUsers forgot its `WHERE userId = ?`:
// every customer gets every consent (the mistake a partner's own adapter made in review). The
// kit's User.consents and export keep a user's own consents only, which would mask the mistake,
// so this bank also serves the listing and the export the way a bank's own code (or an older
// kit) would: whatever the store returned. The conformance kit must fail it: User.consents and the export then list
// another customer's receipts.
import type { KeyObject } from 'node:crypto';
import type { Db } from 'mongodb';
import { createBankSubgraph, type BankContext, type BankInfo, type StoredConsent } from '@consent-gateway/kit/bank';
import { createMongoBankStore } from '@consent-gateway/kit/bank-mongo';
import { createSubgraph, listenSubgraph } from '@consent-gateway/kit/create-subgraph';

export async function serveLeakyConsentsBank(options: { bank: BankInfo; db: Db; gatewayKey: KeyObject; auditKey: string }) {
  const honest = createMongoBankStore(options.db);
  await honest.ensureIndexes();
  const store = {
    ...honest,
    consentsOfUsers: async (userIds: readonly string[]) => {
      const all = (await options.db.collection('consents').find().toArray()) as unknown as StoredConsent[];
      return userIds.map(() => all);
    },
  };
  const bank = createBankSubgraph({ bank: options.bank, store });
  const resolvers = bank.definition.resolvers as Record<string, Record<string, unknown>>;
  const unfiltered = {
    ...resolvers,
    User: {
      ...resolvers.User,
      consents: async (user: { id: string }, _args: unknown, ctx: BankContext) => (await ctx.loaders.consentsByUser.load(user.id)).map((doc) => ({ ...doc, id: doc._id })),
    },
  };
  // Its export, likewise, hands over whatever the store returned (the kit's keeps the user's own).
  const dataSubject = {
    ...bank.runtime.dataSubject!,
    exportSubject: async (userId: string) => ({ bank: options.bank, consents: ((await store.consentsOfUsers([userId]))[0] ?? []).map(({ _id, ...c }) => ({ id: _id, ...c })) }),
  };
  const subgraph = await createSubgraph(
    { ...bank.definition, resolvers: unfiltered as typeof bank.definition.resolvers },
    { ...bank.runtime, dataSubject, gatewayKey: options.gatewayKey, auditKey: options.auditKey },
  );
  return listenSubgraph(subgraph, 0);
}
