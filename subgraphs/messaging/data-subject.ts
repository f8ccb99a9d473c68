// A person's export and erasure in messaging: their conversations with banks and every message in
// them (theirs and the banks', in the conversation's head or apart: store.ts), and their messaging
// opt-ins. Erasure deletes all three.
import type { Db } from 'mongodb';
import type { DataSubjectAdapter } from '@consent-gateway/kit/records-routes';
import { byPosition, collections } from './store.ts';

export function dataSubject(db: Db): DataSubjectAdapter {
  const c = collections(db);
  return {
    async exportSubject(userId) {
      const [conversations, messages, optIns] = await Promise.all([
        c.conversations.find({ userId }, { sort: { createdAt: 1, _id: 1 } }).toArray(),
        c.messages.find({ userId }, { sort: { sentAt: 1, _id: 1 } }).toArray(),
        c.optIns.find({ userId }, { sort: { bankId: 1 } }).toArray(),
      ]);
      return {
        conversations: conversations.map((conversation) => ({
          id: conversation._id,
          bankId: conversation.bankId,
          createdAt: conversation.createdAt,
          // A bank's messages say they came from the bank, not which of its agents wrote them.
          messages: [...(conversation.head ?? []), ...messages.filter((m) => m.conversationId === conversation._id)]
            .sort(byPosition)
            .map((m) => ({ id: m._id, sentAt: m.sentAt, sender: m.sender, body: m.body, transactionId: m.transactionId })),
        })),
        messagingOptIns: optIns.map((o) => ({ bankId: o.bankId, optedIn: o.optedIn, updatedAt: o.updatedAt })),
      };
    },
    async eraseSubject({ userId }) {
      // The messages a conversation keeps itself go with it: counted first.
      const heads = await c.conversations.find({ userId }, { projection: { head: 1 } }).toArray();
      const messages = await c.messages.deleteMany({ userId });
      const conversations = await c.conversations.deleteMany({ userId });
      const optIns = await c.optIns.deleteMany({ userId });
      const inHeads = heads.reduce((n, h) => n + (h.head?.length ?? 0), 0);
      return { messagesDeleted: messages.deletedCount + inHeads, conversationsDeleted: conversations.deletedCount, optInsDeleted: optIns.deletedCount };
    },
  };
}
