// What the messaging subgraph's own rules mean, for schema/authorization.md (the kit's rules are
// in kit/src/rule-meanings.ts). docs/consent-policy.md ("Messaging") states them in words.
import { POLICY_SECTIONS, type RuleMeanings } from '@consent-gateway/kit/rule-meanings';

export const ruleMeanings: RuleMeanings = {
  isParticipant: { definition: "The conversation's participants: its user, or an agent of its bank; first-party apps only.", policy: POLICY_SECTIONS.messaging },
  isSelfOrAgent: { definition: 'The user themself, or a bank agent, who then sees only conversations with their own bank; first-party apps only.', policy: POLICY_SECTIONS.messaging },
  canStartConversation: {
    definition: "The user, with any bank; a bank's agent only with a user who opted in to messages from that bank (else OPT_IN_REQUIRED); first-party apps only.",
    policy: POLICY_SECTIONS.messaging,
  },
  canSendMessage: {
    definition: "A participant of the conversation; a bank's agent only while the user is opted in to that bank's messages (else OPT_IN_REQUIRED); first-party apps only.",
    policy: POLICY_SECTIONS.messaging,
  },
};
