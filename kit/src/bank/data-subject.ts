// A customer's data-subject rights at this bank (docs/consent-policy.md, "Data-subject rights"):
// what the bank's store links to the platform's user, for their export (the consents they granted,
// with events and receipts; the kit adds the access log from the decision records), and erasure
// through the store's `eraseCustomer`. Every bank built with the kit serves both.
import { consentStatus } from '../consent-policy.ts';
import type { DataSubjectAdapter } from '../records-routes.ts';
import { ownConsents } from './consents.ts';
import type { BankInfo } from './context.ts';
import type { BankStore } from './store.ts';

export function bankDataSubject(bank: BankInfo, store: BankStore): DataSubjectAdapter {
  return {
    async exportSubject(userId) {
      const [read = []] = await store.consentsOfUsers([userId]);
      const consents = ownConsents(read, userId, bank.id);
      const now = new Date();
      return {
        bank: { id: bank.id, name: bank.name },
        consents: consents.map(({ _id, ...consent }) => ({ id: _id, status: consentStatus(consent as typeof consent & { _id: string }, now), ...consent })),
      };
    },
    eraseSubject: ({ userId, pseudonym }) => store.eraseCustomer({ userId, pseudonym, at: new Date().toISOString() }),
  };
}
