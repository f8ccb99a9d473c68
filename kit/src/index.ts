// The kit's main surface in one import; each module is also its own subpath export
// (`@consent-gateway/kit/rules`, `@consent-gateway/kit/consent-policy`, `@consent-gateway/kit/bank`, ...).
export * from './audit.ts';
export * from './audit-chain.ts';
export * from './config.ts';
export * from './consent-policy.ts';
export * from './context.ts';
export * from './create-subgraph.ts';
export * from './identity.ts';
export * from './ids.ts';
export * from './internal-token.ts';
export * from './mongo.ts';
export * from './pagination.ts';
export * from './reasons.ts';
export * from './records-routes.ts';
export * from './rule-meanings.ts';
export * from './rules.ts';
export * from './scalars.ts';
