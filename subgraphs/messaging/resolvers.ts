import { GraphQLError } from 'graphql';
import type { Resolvers } from '@consent-gateway/kit/create-subgraph';
import { isAgentOf, isUser } from '@consent-gateway/kit/identity';
import { bankOfId, isBankId, newId } from '@consent-gateway/kit/ids';
import { afterFilter, decodeCursor, pageSize, toConnection } from '@consent-gateway/kit/pagination';
import { badInput } from '@consent-gateway/kit/reasons';
import { DateTime } from '@consent-gateway/kit/scalars';
import type { MessagingContext } from './index.ts';
import { byPosition, collections, HEAD_SIZE, optInId, type ConversationDoc, type MessageDoc, type OptInDoc } from './store.ts';

const MAX_BODY = 4_000;

/** Bank ids are checked against the gateway's registry before a mutation runs; here, their form. */
function bankIdOf(value: string): string {
  if (!isBankId(value)) throw badInput(`"${value}" is not a bank id`);
  return value;
}

/** A conversation by id, for its participants only: anyone else gets null, as for a missing id. */
async function participantConversation(ctx: MessagingContext, id: string): Promise<ConversationDoc | null> {
  const doc = await ctx.loaders.conversation.load(id);
  return doc && (isUser(ctx.identity, doc.userId) || isAgentOf(ctx.identity, doc.bankId)) ? doc : null;
}

async function startConversation(_root: unknown, args: { bankId: string; userId?: string | null }, ctx: MessagingContext) {
  const userId = args.userId ?? ctx.identity.sub!;
  const bankId = bankIdOf(args.bankId);
  const conversations = collections(ctx.db).conversations;
  const existing = await conversations.findOne({ userId, bankId });
  if (existing) return existing;
  const doc: ConversationDoc = { _id: newId('conv'), userId, bankId, createdAt: ctx.now.toISOString(), head: [] };
  try {
    await conversations.insertOne(doc);
    return doc;
  } catch (error) {
    // Two starts at once: the unique (user, bank) index keeps one; return it.
    if ((error as { code?: number }).code === 11000) return conversations.findOne({ userId, bankId });
    throw error;
  }
}

async function sendMessage(_root: unknown, args: { conversationId: string; body: string; transactionId?: string | null }, ctx: MessagingContext) {
  const body = args.body.trim();
  if (!body) throw badInput('body must not be empty');
  if (body.length > MAX_BODY) throw badInput(`body must be at most ${MAX_BODY} characters`);
  const conversation = await ctx.loaders.conversation.load(args.conversationId);
  if (!conversation) throw new GraphQLError('no such conversation', { extensions: { code: 'NOT_FOUND' } });
  // The gateway checked that the sender may reference this transaction; here, that it is the
  // conversation's bank's: a message never points at another bank's data.
  if (args.transactionId && bankOfId(args.transactionId) !== conversation.bankId) {
    throw badInput("transactionId must name a card transaction at the conversation's bank");
  }
  const fromBank = ctx.identity.sub !== conversation.userId;
  const doc: MessageDoc = {
    _id: newId('msg'),
    conversationId: conversation._id,
    userId: conversation.userId,
    bankId: conversation.bankId,
    sentAt: ctx.now.toISOString(),
    body,
    sender: fromBank ? 'BANK' : 'USER',
    senderId: ctx.identity.sub!,
    transactionId: args.transactionId ?? null,
  };
  await oneAtATime(conversation._id, () => store(ctx, conversation, doc));
  return doc;
}

const writing = new Map<string, Promise<void>>();
/**
 * Runs the writes of one conversation one after the other in this process. MongoDB applies the
 * head's conditional update atomically on its own; FerretDB 1.24, the embedded default, does not
 * isolate concurrent updates of one document (two pushes at once: one is lost), so this process
 * never makes two at once. Several messaging replicas on one database need MongoDB.
 */
async function oneAtATime(key: string, write: () => Promise<void>): Promise<void> {
  const run = (writing.get(key) ?? Promise.resolve()).then(write);
  const done = run.catch(() => undefined);
  writing.set(key, done);
  void done.then(() => writing.get(key) === done && writing.delete(key));
  return run;
}

/** The position right after a full head: a message stored apart must sort after every message of the head. */
function afterHead(head: readonly MessageDoc[], sentAt: string): string {
  const last = head.reduce((a, m) => (m.sentAt > a ? m.sentAt : a), '');
  return sentAt > last ? sentAt : new Date(Date.parse(last) + 1).toISOString();
}

/**
 * Stores a message once, in one write: into the conversation's head while it has room (only if
 * the head is still as it was read, else read again), otherwise apart, placed after the head.
 */
async function store(ctx: MessagingContext, conversation: ConversationDoc, doc: MessageDoc): Promise<void> {
  const c = collections(ctx.db);
  let head = conversation.head;
  while (head && head.length < HEAD_SIZE) {
    const pushed = await c.conversations.updateOne({ _id: conversation._id, head: { $size: head.length } }, { $push: { head: doc } });
    if (pushed.modifiedCount === 1) return;
    head = (await c.conversations.findOne({ _id: conversation._id }, { projection: { head: 1 } }))?.head;
  }
  if (head) doc.sentAt = afterHead(head, doc.sentAt);
  await c.messages.insertOne(doc);
}

/** A page of a conversation's messages, oldest first: from its head while the page stays in it; the rest from `messages`. */
async function messagePage(ctx: MessagingContext, c: ConversationDoc, args: { first?: number; after?: string }) {
  const first = pageSize(args.first);
  if (first === 0) return toConnection([], first, position);
  let rows: MessageDoc[] = [];
  if (c.head) {
    const cursor = args.after ? decodeCursor(args.after) : undefined;
    rows = [...c.head].sort(byPosition).filter((m) => !cursor || m.sentAt > cursor[0] || (m.sentAt === cursor[0] && m._id > cursor[1]));
    // A head with room has every message of the conversation; a full one, every message before those apart.
    if (rows.length > first || c.head.length < HEAD_SIZE) return toConnection(rows, first, position);
  }
  // Messages stored apart all come after the head: the cursor narrows them only when it is past the head.
  const rest = await collections(ctx.db)
    .messages.find({ conversationId: c._id, ...(rows.length ? {} : afterFilter('sentAt', args.after, 1)) }, { sort: { sentAt: 1, _id: 1 }, limit: first + 1 - rows.length })
    .toArray();
  return toConnection([...rows, ...rest], first, position);
}
const position = (m: MessageDoc): [string, string] => [m.sentAt, m._id];

async function setOptIn(value: string, optedIn: boolean, ctx: MessagingContext): Promise<OptInDoc> {
  const userId = ctx.identity.sub!;
  const bankId = bankIdOf(value);
  const doc: OptInDoc = { _id: optInId(userId, bankId), userId, bankId, optedIn, updatedAt: ctx.now.toISOString() };
  await collections(ctx.db).optIns.updateOne({ _id: doc._id }, { $set: { userId, bankId, optedIn, updatedAt: doc.updatedAt } }, { upsert: true });
  return doc;
}

export const resolvers: Resolvers<MessagingContext> = {
  DateTime,
  Query: {
    conversation: (_root, args: { id: string }, ctx) => participantConversation(ctx, args.id),
  },
  Mutation: {
    startConversation,
    sendMessage,
    optInToBankMessages: (_root, args: { bankId: string }, ctx) => setOptIn(args.bankId, true, ctx),
    optOutOfBankMessages: (_root, args: { bankId: string }, ctx) => setOptIn(args.bankId, false, ctx),
  },
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    conversations: (user: { id: string }, _args, ctx) => ctx.loaders.conversationsOf.load(user.id),
    messagingOptIns: (user: { id: string }, _args, ctx) => ctx.loaders.optInsOf.load(user.id),
  },
  Conversation: {
    __resolveReference: (ref: { id: string }, ctx: MessagingContext) => ctx.loaders.conversation.load(ref.id),
    id: (c: ConversationDoc) => c._id,
    bank: (c: ConversationDoc) => ({ id: c.bankId }),
    user: (c: ConversationDoc) => ({ id: c.userId }),
    messages: (c: ConversationDoc, args: { first?: number; after?: string }, ctx) => messagePage(ctx, c, args),
  },
  Message: {
    id: (m: MessageDoc) => m._id,
    // A reference only: the transaction's bank resolves it, under that bank's consent rules.
    transaction: (m: MessageDoc) => (m.transactionId ? { id: m.transactionId } : null),
  },
  MessagingOptIn: {
    bank: (o: OptInDoc) => ({ id: o.bankId }),
  },
};
