// The demo data set, as plain documents for each subgraph's database. Deterministic: a seeded
// PRNG and fixed ids, so every run makes the same data; dates count back from `anchor` (by default
// today's midnight UTC, or SEED_ANCHOR) so that "the last 12 months" stays true.
import { HOW_TO_REVOKE, type AccountDoc, type BankDoc, type ConsentDoc, type MerchantDoc, type MerchantLocationDoc, type TransactionDoc } from '../subgraphs/bank-account/store.ts';
import type { ConversationDoc, MessageDoc, OptInDoc } from '../subgraphs/messaging/store.ts';
import type { UserDoc } from '../subgraphs/user-profile/store.ts';

export const TRANSACTION_COUNT = 2_400;
const DAY = 86_400_000;

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

export interface DemoData {
  userProfile: { users: UserDoc[] };
  bankAccount: {
    banks: BankDoc[];
    accounts: AccountDoc[];
    transactions: TransactionDoc[];
    merchants: MerchantDoc[];
    merchantLocations: MerchantLocationDoc[];
    consents: ConsentDoc[];
  };
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

export function demoData(anchor: Date = defaultAnchor()): DemoData {
  const random = prng(20261125);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const iso = (ms: number) => new Date(ms).toISOString();

  const users: UserDoc[] = [
    { _id: 'alice', displayName: 'Alice Martin', avatarUrl: null, email: 'alice@example.org', phone: '+49 30 1234567' },
    { _id: 'bob', displayName: 'Bob Okafor', avatarUrl: null, email: 'bob@example.org', phone: '+44 20 7946 0000' },
    { _id: 'carol', displayName: 'Carol Nguyen', avatarUrl: null, email: 'carol@example.org', phone: null },
  ];
  const banks: BankDoc[] = [
    { _id: 'contoso', name: 'Contoso Bank' },
    { _id: 'northwind', name: 'Northwind Bank' },
  ];
  const account = (id: string, userId: string, bankId: string, currency: string, last4: string): AccountDoc => ({
    _id: id,
    userId,
    bankId,
    currency,
    maskedNumber: `•••• ${last4}`,
    accountNumber: `${bankId === 'contoso' ? 'GB29CNTS' : 'DE89NWND'}0000${last4}${last4}00`,
    balanceMinor: 0,
  });
  const accounts = [
    account('acc_alice_nw_main', 'alice', 'northwind', 'EUR', '4821'),
    account('acc_alice_nw_card', 'alice', 'northwind', 'EUR', '9034'),
    account('acc_alice_ct_main', 'alice', 'contoso', 'GBP', '1177'),
    account('acc_bob_nw_main', 'bob', 'northwind', 'EUR', '5560'),
  ];

  const merchants: MerchantDoc[] = [];
  const merchantLocations: MerchantLocationDoc[] = [];
  CITIES.forEach((place, c) =>
    SHOPS.forEach(([shop, category], s) => {
      const _id = `mer_${String(c * SHOPS.length + s + 1).padStart(3, '0')}`;
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

  const transactions: TransactionDoc[] = [];
  const yearMs = 365 * DAY;
  for (let i = 0; i < TRANSACTION_COUNT; i++) {
    const acc = accounts[i % accounts.length]!;
    const credit = random() < 0.15;
    const merchant = credit && random() < 0.5 ? null : pick(merchants);
    const amount = credit ? 500 + Math.floor(random() * 150_000) : 100 + Math.floor(random() * 25_000);
    transactions.push({
      _id: `txn_${String(i + 1).padStart(5, '0')}`,
      accountId: acc._id,
      userId: acc.userId,
      bankId: acc.bankId,
      postedAt: iso(anchor.getTime() - Math.floor(random() * yearMs)),
      direction: credit ? 'CREDIT' : 'DEBIT',
      amountMinor: credit ? amount : -amount,
      currency: acc.currency,
      description: merchant ? `Card payment at ${merchant.name}` : 'Incoming transfer',
      merchantId: merchant?._id ?? null,
    });
    acc.balanceMinor += credit ? amount : -amount;
  }
  // An opening balance that keeps every demo account in credit.
  for (const acc of accounts) acc.balanceMinor += 250_000 + Math.max(0, -acc.balanceMinor);

  const grantedAt = iso(anchor.getTime() - 30 * DAY);
  const consentId = 'cns_seed_alice_northwind';
  const permissions: ConsentDoc['permissions'] = ['ACCOUNTS_BASIC', 'BALANCES', 'TRANSACTIONS_DETAIL', 'TRANSACTIONS_CREDITS', 'TRANSACTIONS_DEBITS', 'MERCHANT_LOCATION_COARSE'];
  const consents: ConsentDoc[] = [
    {
      _id: consentId,
      userId: 'alice',
      bankId: 'northwind',
      permissions,
      purposes: ['customer_service'],
      grantedAt,
      expiresAt: null,
      revokedAt: null,
      transactionsFrom: null,
      transactionsTo: null,
      events: [{ type: 'GRANTED', at: grantedAt, initiator: 'alice' }],
      receipt: {
        consentId,
        userId: 'alice',
        bankId: 'northwind',
        bankName: 'Northwind Bank',
        permissions,
        purposes: ['customer_service'],
        grantedAt,
        expiresAt: null,
        transactionsFrom: null,
        transactionsTo: null,
        thirdPartyDisclosure: false,
        howToRevoke: HOW_TO_REVOKE,
      },
    },
  ];

  // The message that asks about a payment references alice's latest Northwind card payment.
  const referenced = transactions
    .filter((t) => t.userId === 'alice' && t.bankId === 'northwind' && t.direction === 'DEBIT' && t.merchantId)
    .sort((a, b) => b.postedAt.localeCompare(a.postedAt))[0]!;
  const conversationId = 'conv_alice_northwind';
  const start = anchor.getTime() - 2 * DAY;
  const message = (n: number, sender: 'USER' | 'BANK', body: string, transactionId: string | null = null): MessageDoc => ({
    _id: `msg_seed_${n}`,
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
    userProfile: { users },
    bankAccount: { banks, accounts, transactions, merchants, merchantLocations, consents },
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
