// Denials reach clients as FORBIDDEN with a reason code and never any part of the data.
import { GraphQLError } from 'graphql';

export const REASONS = [
  'NOT_AUTHENTICATED',
  'NOT_OWNER',
  'CONSENT_REQUIRED',
  'CONSENT_EXPIRED',
  'PURPOSE_NOT_ALLOWED',
  'THIRD_PARTY_CLIENT',
  'OUT_OF_WINDOW',
  'OPT_IN_REQUIRED',
] as const;
export type Reason = (typeof REASONS)[number];

const MESSAGES: Record<Reason, string> = {
  NOT_AUTHENTICATED: 'Sign in to see this field.',
  NOT_OWNER: 'This data belongs to someone else.',
  CONSENT_REQUIRED: 'No live consent covers this field.',
  CONSENT_EXPIRED: 'The consent that covered this field has expired.',
  PURPOSE_NOT_ALLOWED: "The request's purpose is not allowed by the consent.",
  THIRD_PARTY_CLIENT: 'Third-party client apps never see this data.',
  OUT_OF_WINDOW: "This record is outside the consent's date window.",
  OPT_IN_REQUIRED: 'The user has not opted in to messages from this bank.',
};

export function forbidden(reason: Reason): GraphQLError {
  return new GraphQLError(`Forbidden: ${MESSAGES[reason]}`, {
    extensions: { code: 'FORBIDDEN', reason },
  });
}

export function badInput(message: string, details?: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...details } });
}
