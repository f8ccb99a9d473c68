// messaging data: conversations (one per user and bank), messages (with the conversation's user
// and bank copied in, so a message's rule needs no extra read) and opt-ins.
//
// A conversation keeps its first HEAD_SIZE messages itself (`head`); the messages after them are
// documents of `messages` (MongoDB's bucket pattern, the first bucket inside the conversation).
// Every message is stored once, in one place or the other, in one write; every message of
// `messages` comes after the whole head (sendMessage makes sure), so a conversation's first
// page, the one a conversation list shows, is read with the conversation itself: no read per
// conversation. A conversation stored without `head` (before 0.3) keeps every message in `messages`.
import DataLoader from 'dataloader';
import type { Db } from 'mongodb';
import { loadByKeys, loadGroupsByKeys } from '@consent-gateway/kit/mongo';

/** How many of its first messages a conversation keeps itself. */
export const HEAD_SIZE = 20;

export interface ConversationDoc {
  _id: string;
  userId: string;
  bankId: string;
  createdAt: string;
  /** Its first messages (at most HEAD_SIZE), in the order they were stored; absent in conversations from before 0.3. */
  head?: MessageDoc[];
}
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

/** Messages in the order of every page: by time sent, then id. */
export const byPosition = (a: MessageDoc, b: MessageDoc) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/** Conversations and their messages as they are stored: each conversation's first messages in its head, the others apart. */
export function storedLayout(conversations: readonly ConversationDoc[], messages: readonly MessageDoc[]): { conversations: ConversationDoc[]; messages: MessageDoc[] } {
  const inHead = new Set<string>();
  const stored = conversations.map((c) => {
    const head = messages.filter((m) => m.conversationId === c._id).sort(byPosition).slice(0, HEAD_SIZE);
    for (const m of head) inHead.add(m._id);
    return { ...c, head };
  });
  return { conversations: stored, messages: messages.filter((m) => !inHead.has(m._id)) };
}

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
