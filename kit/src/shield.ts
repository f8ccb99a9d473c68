// graphql-shield (and the graphql-middleware it plugs into), loaded through their CommonJS builds.
// graphql-shield's ES module build (7.6.5, the latest) imports `isUndefined` from 'util', which
// Node 23 removed, so on a current LTS it does not load at all (maticzav/graphql-shield#1560).
// Its CommonJS build looks that function up only inside `chain` and `race`, which is why they are
// not handed out here: use `and` / `or`. graphql-middleware comes from the same require, since
// it recognises shield's middleware with `instanceof`, which fails across the two builds.
// Every value this project takes from either package comes through here.
import { createRequire } from 'node:module';
import type * as Middleware from 'graphql-middleware';
import type * as Shield from 'graphql-shield';

const require = createRequire(import.meta.url);
const shieldCjs = require('graphql-shield') as typeof Shield;
const middlewareCjs = require('graphql-middleware') as typeof Middleware;

export const { allow, and, deny, not, or, rule, shield } = shieldCjs;
export const { applyMiddleware } = middlewareCjs;
export type { IRules } from 'graphql-shield';
/** Any rule shield takes (a rule or a logic rule). */
export type ShieldRule = Parameters<typeof Shield.not>[0];
