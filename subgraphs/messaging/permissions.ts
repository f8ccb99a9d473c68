// The authorization table of the messaging subgraph. Conversations and message bodies are for
// their participants (the user, or an agent of the conversation's bank); a bank may start a
// conversation or write only after the user opted in to that bank's messages.
import { allow } from '@consent-gateway/kit/shield';
import type { PermissionMap } from '@consent-gateway/kit/create-subgraph';
import { isAgentOf, isUser, type Identity } from '@consent-gateway/kit/identity';
import type { Reason } from '@consent-gateway/kit/reasons';
import { allowed, denied, isFirstPartyUser, isAuthenticated, isSelf, protectedRule, type Verdict } from '@consent-gateway/kit/rules';
import type { MessagingContext } from './index.ts';
import { optInId, type ConversationDoc } from './store.ts';

export function participantDenial(identity: Identity, userId: string, bankId: string): Reason | undefined {
  if (!identity.sub) return 'NOT_AUTHENTICATED';
  if (identity.clientType !== 'first-party') return 'THIRD_PARTY_CLIENT';
  if (isUser(identity, userId) || isAgentOf(identity, bankId)) return undefined;
  return 'NOT_OWNER';
}

async function agentMayWrite(ctx: MessagingContext, userId: string, bankId: string): Promise<boolean> {
  return (await ctx.loaders.optIn.load(optInId(userId, bankId)))?.optedIn === true;
}

/** Conversation and Message fields: parents carry their user and bank. */
const isParticipant = protectedRule<MessagingContext, Pick<ConversationDoc, 'userId' | 'bankId'>>('isParticipant', (parent, _a, ctx) => {
  const reason = participantDenial(ctx.identity, parent.userId, parent.bankId);
  const who = { subjectUserId: parent.userId, bankId: parent.bankId };
  return reason ? denied(reason, who) : allowed(who);
});

/** `User.conversations`: the user, or any bank agent (who sees only their bank's conversations). */
const isSelfOrAgent = protectedRule<MessagingContext, { id: string }>('isSelfOrAgent', (user, _a, ctx) => {
  const { identity } = ctx;
  if (!identity.sub) return denied('NOT_AUTHENTICATED');
  if (identity.clientType !== 'first-party') return denied('THIRD_PARTY_CLIENT', { subjectUserId: user.id });
  if (isUser(identity, user.id) || (identity.roles.includes('bank_agent') && identity.bank)) return allowed({ subjectUserId: user.id });
  return denied('NOT_OWNER', { subjectUserId: user.id });
});

const canStartConversation = protectedRule<MessagingContext>('canStartConversation', async (_p, args, ctx): Promise<Verdict> => {
  const bankId = String(args.bankId);
  const userId = (args.userId as string | null | undefined) ?? ctx.identity.sub ?? '';
  const who = { subjectUserId: userId, bankId };
  const reason = participantDenial(ctx.identity, userId, bankId);
  if (reason) return denied(reason, who);
  if (isUser(ctx.identity, userId)) return allowed(who);
  return (await agentMayWrite(ctx, userId, bankId)) ? allowed(who) : denied('OPT_IN_REQUIRED', who);
});

const canSendMessage = protectedRule<MessagingContext>('canSendMessage', async (_p, args, ctx): Promise<Verdict> => {
  const conversation = await ctx.loaders.conversation.load(String(args.conversationId));
  // A conversation that does not exist looks exactly like one that is not yours.
  if (!conversation) return denied(participantDenial(ctx.identity, '', '') ?? 'NOT_OWNER');
  const who = { subjectUserId: conversation.userId, bankId: conversation.bankId };
  const reason = participantDenial(ctx.identity, conversation.userId, conversation.bankId);
  if (reason) return denied(reason, who);
  if (isUser(ctx.identity, conversation.userId)) return allowed(who);
  return (await agentMayWrite(ctx, conversation.userId, conversation.bankId)) ? allowed(who) : denied('OPT_IN_REQUIRED', who);
});

export const permissions: PermissionMap = {
  Query: {
    conversation: isAuthenticated,
  },
  Mutation: {
    startConversation: canStartConversation,
    sendMessage: canSendMessage,
    optInToBankMessages: isFirstPartyUser,
    optOutOfBankMessages: isFirstPartyUser,
  },
  User: {
    id: allow,
    conversations: isSelfOrAgent,
    messagingOptIns: isSelf,
  },
  Conversation: isParticipant,
  Message: isParticipant,
  // Reached only through a field above that already passed its rule.
  MessageConnection: allow,
  MessageEdge: allow,
  PageInfo: allow,
  MessagingOptIn: allow,
  // References resolved by other subgraphs, under their own rules.
  Bank: allow,
  CardTransaction: allow,
};
