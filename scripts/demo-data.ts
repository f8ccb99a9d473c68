// The demo data set, as plain records for each service (scripts/seed.ts writes them in each
// store's layout): user-profile (users and the bank directory), one set per bank (accounts, card
// transactions, merchants, consents: each bank's own), and messaging. Deterministic: seeded PRNGs
// make the same values on every run, and by default the same (random-looking, bank-scoped) ids,
// which tests and benchmarks rely on; those ids are reproducible by anyone who has this file, so
// `npm start` and `npm run seed` ask for `ids: 'random'` (fresh 128-bit ids, as the services make
// them). Dates count back from `anchor` (by default today's midnight UTC, or SEED_ANCHOR) so that
// "the last 12 months" stays true.
import { HOW_TO_REVOKE } from '@consent-gateway/kit/bank';
import type { MerchantRow } from '@consent-gateway/kit/bank';
import type { AccountDoc, ConsentDoc, TransactionDoc } from '@consent-gateway/kit/bank-mongo';
import { bankScopedId, newBankScopedId, newId, seededBytes } from '@consent-gateway/kit/ids';
import type { ConversationDoc, MessageDoc, OptInDoc } from '../subgraphs/messaging/store.ts';
import type { BankRelationshipDoc, UserDoc } from '../subgraphs/user-profile/store.ts';

/**
 * Card transactions of the demo, over the year before the anchor: the 2,000 the demo was specified
 * with (issue 2), about ten a week on each of the four accounts. (A benchmark may ask for more:
 * `demoData(anchor, { transactions })`.)
 */
export const TRANSACTION_COUNT = 2_000;
const DAY = 86_400_000;

/** The demo banks, in the registry of `npm start` (gateway/banks.json) and of the test stacks. */
export const DEMO_BANKS = [
  { id: 'contoso', name: 'Contoso Bank' },
  { id: 'northwind', name: 'Northwind Bank' },
] as const;
export type DemoBankId = (typeof DEMO_BANKS)[number]['id'];

/** mulberry32: tiny, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source of ids: `<bank>:<kind>_<random>`, or `<kind>_<random>` for the platform; seeded, or as random as the services' own. */
function idMaker(seed: number, ids: DemoIds) {
  if (ids === 'random') return { bank: newBankScopedId, platform: newId };
  const random = prng(seed);
  return {
    bank: (bankId: string, kind: string) => bankScopedId(bankId, kind, seededBytes(random)),
    platform: (kind: string) => `${kind}_${Buffer.from(seededBytes(random)).toString('base64url')}`,
  };
}

const CITIES = [
  { city: 'Berlin', country: 'DE', lat: 52.52, lng: 13.405 },
  { city: 'Paris', country: 'FR', lat: 48.8566, lng: 2.3522 },
  { city: 'London', country: 'GB', lat: 51.5072, lng: -0.1276 },
  { city: 'Amsterdam', country: 'NL', lat: 52.3676, lng: 4.9041 },
  { city: 'Madrid', country: 'ES', lat: 40.4168, lng: -3.7038 },
  { city: 'Lisbon', country: 'PT', lat: 38.7223, lng: -9.1393 },
  { city: 'New York', country: 'US', lat: 40.7128, lng: -74.006 },
];

const SHOPS = [
  ['Corner Grocery', 'groceries'],
  ['Café Central', 'restaurants'],
  ['City Pharmacy', 'health'],
  ['Metro Transit', 'transport'],
  ['Book Nook', 'shopping'],
  ['Fuel Stop', 'transport'],
  ['Cinema Royal', 'entertainment'],
  ['Fresh Market', 'groceries'],
] as const;

/** A demo merchant, and where it is (the adapter decides how it stores them: seed.ts). */
export type DemoMerchant = { _id: string; name: string; category: string };
export type DemoMerchantLocation = { _id: string; city: string; country: string } & Pick<MerchantRow, 'latitude' | 'longitude'>;

/** Everything one bank holds: its accounts, transactions, merchants and the consents granted to it. */
export interface BankDemoData {
  bank: { id: DemoBankId; name: string };
  accounts: AccountDoc[];
  transactions: TransactionDoc[];
  merchants: DemoMerchant[];
  merchantLocations: DemoMerchantLocation[];
  consents: ConsentDoc[];
}

export interface DemoData {
  userProfile: { users: UserDoc[]; bankRelationships: BankRelationshipDoc[] };
  banks: Record<DemoBankId, BankDemoData>;
  messaging: { conversations: ConversationDoc[]; messages: MessageDoc[]; optIns: OptInDoc[] };
}

export function defaultAnchor(env: NodeJS.ProcessEnv = process.env): Date {
  if (env.SEED_ANCHOR) {
    const pinned = new Date(env.SEED_ANCHOR);
    if (Number.isNaN(pinned.getTime())) throw new Error(`SEED_ANCHOR must be a date (got "${env.SEED_ANCHOR}")`);
    return pinned;
  }
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** `seeded`: the same ids on every run (tests, benchmarks); `random`: fresh ones (a stack people use). */
export type DemoIds = 'seeded' | 'random';

export function demoData(anchor: Date = defaultAnchor(), options: { transactions?: number; ids?: DemoIds } = {}): DemoData {
  const random = prng(20261125);
  const ids = idMaker(20261126, options.ids ?? 'seeded');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  const users: UserDoc[] = [
    { _id: 'alice', displayName: 'Alice Martin', avatarUrl: null, email: 'alice@example.org', phone: '+49 30 1234567' },
    { _id: 'bob', displayName: 'Bob Okafor', avatarUrl: null, email: 'bob@example.org', phone: '+44 20 7946 0000' },
    { _id: 'carol', displayName: 'Carol Nguyen', avatarUrl: null, email: 'carol@example.org', phone: null },
  ];
  const banks = Object.fromEntries(
    DEMO_BANKS.map((b) => [b.id, { bank: { ...b }, accounts: [], transactions: [], merchants: [], merchantLocations: [], consents: [] } satisfies BankDemoData]),
  ) as unknown as Record<DemoBankId, BankDemoData>;

  // Each bank knows the merchants its cards were used at: its own records, its own ids.
  for (const { bank, merchants, merchantLocations } of Object.values(banks)) {
    CITIES.forEach((place) =>
      SHOPS.forEach(([shop, category]) => {
        const _id = ids.bank(bank.id, 'mer');
        merchants.push({ _id, name: `${shop} ${place.city}`, category });
        merchantLocations.push({
          _id,
          city: place.city,
          country: place.country,
          latitude: Math.round((place.lat + (random() - 0.5) * 0.1) * 1e5) / 1e5,
          longitude: Math.round((place.lng + (random() - 0.5) * 0.1) * 1e5) / 1e5,
        });
      }),
    );
  }

  const account = (userId: string, bankId: DemoBankId, currency: string, last4: string) => {
    const doc: AccountDoc = {
      _id: ids.bank(bankId, 'acc'),
      userId,
      currency,
      maskedNumber: `•••• ${last4}`,
      accountNumber: `${bankId === 'contoso' ? 'GB29CNTS' : 'DE89NWND'}0000${last4}${last4}00`,
      balanceMinor: 0,
    };
    banks[bankId].accounts.push(doc);
    return { doc, bankId };
  };
  // alice: two Northwind accounts (with a consent) and one at Contoso (no consent); bob: one at
  // Northwind (no consent); carol: none.
  const accounts = [
    account('alice', 'northwind', 'EUR', '4821'),
    account('alice', 'northwind', 'EUR', '9034'),
    account('alice', 'contoso', 'GBP', '1177'),
    account('bob', 'northwind', 'EUR', '5560'),
  ];

  const yearMs = 365 * DAY;
  for (let i = 0; i < (options.transactions ?? TRANSACTION_COUNT); i++) {
    const { doc: acc, bankId } = accounts[i % accounts.length]!;
    const credit = random() < 0.15;
    const merchant = credit && random() < 0.5 ? null : pick(banks[bankId].merchants);
    const place = merchant && banks[bankId].merchantLocations.find((l) => l._id === merchant._id)!;
    const amount = credit ? 500 + Math.floor(random() * 150_000) : 100 + Math.floor(random() * 25_000);
    banks[bankId].transactions.push({
      _id: ids.bank(bankId, 'txn'),
      accountId: acc._id,
      userId: acc.userId,
      postedAt: iso(anchor.getTime() - Math.floor(random() * yearMs)),
      direction: credit ? 'CREDIT' : 'DEBIT',
      amountMinor: credit ? amount : -amount,
      currency: acc.currency,
      description: merchant ? `Card payment at ${merchant.name}` : 'Incoming transfer',
      merchantId: merchant?._id ?? null,
      // What the card network reports with the payment (the bank stores it with the transaction).
      merchantName: merchant?.name ?? null,
      merchantCategory: merchant?.category ?? null,
      merchantCity: place?.city ?? null,
      merchantCountry: place?.country ?? null,
    });
    acc.balanceMinor += credit ? amount : -amount;
  }
  // An opening balance that keeps every demo account in credit.
  for (const { doc } of accounts) doc.balanceMinor += 250_000 + Math.max(0, -doc.balanceMinor);

  const grantedAt = iso(anchor.getTime() - 30 * DAY);
  const consentId = ids.bank('northwind', 'cns');
  const permissions: ConsentDoc['permissions'] = ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE'];
  const grant = { permissions, purposes: ['customer_service' as const], grantedAt, expiresAt: null, transactionsFrom: null, transactionsTo: null };
  banks.northwind.consents.push({
    _id: consentId,
    userId: 'alice',
    bankId: 'northwind',
    ...grant,
    revokedAt: null,
    events: [{ type: 'GRANTED', at: grantedAt, initiator: 'alice' }],
    receipt: { consentId, userId: 'alice', bankId: 'northwind', bankName: 'Northwind Bank', ...grant, thirdPartyDisclosure: false, howToRevoke: HOW_TO_REVOKE },
  });
  // The directory: a user is linked to every bank they ever granted a consent to.
  const linked = new Map<string, Set<string>>();
  for (const { consents } of Object.values(banks)) for (const c of consents) linked.set(c.userId, (linked.get(c.userId) ?? new Set()).add(c.bankId));
  const bankRelationships = [...linked].map(([userId, bankIds]) => ({ _id: userId, bankIds: [...bankIds].sort() }));

  // The message that asks about a payment references alice's latest Northwind card payment.
  const referenced = banks.northwind.transactions
    .filter((t) => t.userId === 'alice' && t.direction === 'DEBIT' && t.merchantId)
    .sort((a, b) => b.postedAt.localeCompare(a.postedAt))[0]!;
  const conversationId = ids.platform('conv');
  const start = anchor.getTime() - 2 * DAY;
  const message = (n: number, sender: 'USER' | 'BANK', body: string, transactionId: string | null = null): MessageDoc => ({
    _id: ids.platform('msg'),
    conversationId,
    userId: 'alice',
    bankId: 'northwind',
    sentAt: iso(start + n * 60_000),
    body,
    sender,
    senderId: sender === 'USER' ? 'alice' : 'agent-nora',
    transactionId,
  });
  return {
    userProfile: { users, bankRelationships },
    banks,
    messaging: {
      conversations: [{ _id: conversationId, userId: 'alice', bankId: 'northwind', createdAt: iso(start) }],
      messages: [
        message(1, 'USER', 'Hi! I do not recognise this card payment, can you check it?', referenced._id),
        message(2, 'BANK', 'Hello Alice, this is Nora from Northwind. Let me look at it.'),
        message(3, 'BANK', 'It was a contactless payment. Do you want us to block the card?'),
        message(4, 'USER', 'No thanks, I remember it now.'),
      ],
      optIns: [{ _id: 'alice|northwind', userId: 'alice', bankId: 'northwind', optedIn: true, updatedAt: iso(start) }],
    },
  };
}
