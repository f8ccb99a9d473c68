// messaging data: conversations (one per user and bank), messages (with the conversation's user
// and bank copied in, so a message's rule needs no extra read) and opt-ins.
import DataLoader from 'dataloader';
import type { Db } from 'mongodb';
import { loadByKeys, loadGroupsByKeys } from '@consent-gateway/kit/mongo';

export interface ConversationDoc { _id: string; userId: string; bankId: string; createdAt: string }
export interface MessageDoc {
  _id: string;
  conversationId: string;
  userId: string;
  bankId: string;
  sentAt: string;
  body: string;
  sender: 'USER' | 'BANK';
  senderId: string;
  /** A card transaction at the conversation's bank (its id names the bank), resolved by that bank. */
  transactionId: string | null;
}
export interface OptInDoc { _id: string; userId: string; bankId: string; optedIn: boolean; updatedAt: string }

export const collections = (db: Db) => ({
  conversations: db.collection<ConversationDoc>('conversations'),
  messages: db.collection<MessageDoc>('messages'),
  optIns: db.collection<OptInDoc>('messaging_opt_ins'),
});

export const optInId = (userId: string, bankId: string) => `${userId}|${bankId}`;

export async function ensureIndexes(db: Db): Promise<void> {
  const c = collections(db);
  await Promise.all([
    c.conversations.createIndex({ userId: 1, bankId: 1 }, { unique: true }),
    c.messages.createIndex({ conversationId: 1, sentAt: 1, _id: 1 }),
    c.optIns.createIndex({ userId: 1 }),
  ]);
}

/** `bankId` narrows conversation lists to a bank agent's own bank. */
export function createLoaders(db: Db, bankId?: string) {
  const c = collections(db);
  return {
    conversation: new DataLoader((ids: readonly string[]) => loadByKeys(c.conversations, '_id', ids)),
    conversationsOf: new DataLoader((userIds: readonly string[]) =>
      loadGroupsByKeys(c.conversations, 'userId', userIds, { sort: { createdAt: 1, _id: 1 }, extra: bankId ? { bankId } : {} }),
    ),
    optIn: new DataLoader((ids: readonly string[]) => loadByKeys(c.optIns, '_id', ids)),
    optInsOf: new DataLoader((userIds: readonly string[]) => loadGroupsByKeys(c.optIns, 'userId', userIds, { sort: { bankId: 1 } })),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
