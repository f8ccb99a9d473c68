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

// Each with the type graphql-shield exports it with (not the class it returns, which the package
// does not export by name), so that the kit's published declarations can name it.
export const allow: typeof Shield.allow = shieldCjs.allow;
export const and: typeof Shield.and = shieldCjs.and;
export const deny: typeof Shield.deny = shieldCjs.deny;
export const not: typeof Shield.not = shieldCjs.not;
export const or: typeof Shield.or = shieldCjs.or;
export const rule: typeof Shield.rule = shieldCjs.rule;
export const shield: typeof Shield.shield = shieldCjs.shield;
export const { applyMiddleware } = middlewareCjs;
export type { IRules } from 'graphql-shield';
/** Any rule shield takes (a rule or a logic rule). */
export type ShieldRule = Parameters<typeof Shield.not>[0];
/**
 * A rule made by `rule()`: graphql-shield's class `Rule`, which its package does not export by name,
 * under a name of ours (an interface, so that declarations of values of this type can name it).
 */
export interface Rule extends ReturnType<ReturnType<typeof Shield.rule>> {}
