// A permission map applied to a schema with graphql-shield. Shield validates the map (one rule per
// name, every typed named exists), applies the fallback rule to every field without one and
// generates one middleware per field; two kinds of field then get a lighter wrapper than shield's,
// with the same data and the same decision for every field that runs (compared with shield's in
// test/permission-middleware.test.ts). They differ as graphql-js differs for synchronous fields:
// when a denied non-null field nulls its parent, the parent's other fields are not run, so they
// record no decision and report no error (under shield, being promises, they would); and errors
// of fields answered at once come before those of fields that waited (an order GraphQL leaves
// open). The two lighter wrappers:
// - a field whose rule is `allow` keeps its resolver as it is: the rule is constant true, and with
//   allowExternalErrors a resolver's error reaches the client exactly as it would unwrapped;
// - a field whose rule is one of the kit's protected rules (kit/src/rules.ts) gets, as its
//   resolver, a synchronous equivalent of shield's middleware around its own resolver, evaluating
//   the very function the shield rule holds: `true` runs the resolver, an Error is the field's
//   answer, anything else or a throw is the fallback error. Shield's own wrapper is an async
//   function around an async rule (and graphql-middleware's closure around that), so every
//   protected field became a chain of promises even when its decision was a map lookup: on a page
//   of 100 transactions, that was most of what authorization cost (bench/shield.ts).
// Every other rule (shield's `deny`, logic rules, rules made elsewhere) keeps shield's middleware.
import { defaultFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { KitContext } from './context.ts';
import { directEvaluation, type Evaluate } from './rules.ts';
import { allow, applyMiddleware, shield, type IRules, type ShieldRule } from './shield.ts';

type MiddlewareMap = Record<string, Record<string, unknown>>;

export interface PermissionOptions {
  /** The rule of every field the map does not name. */
  fallbackRule: ShieldRule;
  /** What a denied field answers when its rule says only "no". */
  fallbackError: Error;
}

/** The rule of `type.field` in the map: the field's own, the type's, or undefined (the fallback applies). */
function ruleOf(rules: IRules, type: string, field: string): unknown {
  const typeRule = (rules as Record<string, unknown>)[type];
  if (typeof typeRule !== 'object' || typeRule === null) return undefined;
  // A rule object applies to every field of its type; a plain object is a map by field.
  if (Object.getPrototypeOf(typeRule) !== Object.prototype) return typeRule;
  return (typeRule as Record<string, unknown>)[field];
}

type Resolver = (parent: unknown, args: Record<string, unknown>, ctx: unknown, info: GraphQLResolveInfo) => unknown;

/** A resolver guarded by a protected rule's evaluation: shield's middleware made synchronous. */
function guarded(evaluate: Evaluate, resolve: Resolver, fallbackError: Error): Resolver {
  const answer = (verdict: unknown, parent: unknown, args: Record<string, unknown>, ctx: unknown, info: GraphQLResolveInfo) => {
    if (verdict === true) {
      try {
        return resolve(parent, args, ctx, info);
      } catch (error) {
        return error; // allowExternalErrors: the resolver's own error is the answer
      }
    }
    return verdict instanceof Error ? verdict : fallbackError;
  };
  return (parent, args, ctx, info) => {
    let verdict: unknown;
    try {
      verdict = evaluate(parent, args, ctx as KitContext, info);
    } catch {
      return fallbackError; // a rule that fails denies (shield without debug)
    }
    if (verdict instanceof Promise) {
      return verdict.then(
        (v) => answer(v, parent, args, ctx, info),
        () => fallbackError,
      );
    }
    return answer(verdict, parent, args, ctx, info);
  };
}

/** `schema` (fresh from buildSubgraphSchema, changed in place) with the permission map applied. */
export function applyPermissions(schema: GraphQLSchema, rules: IRules, options: PermissionOptions): GraphQLSchema {
  const generated = shield(rules, { ...options, allowExternalErrors: true, debug: false }).generate(schema) as MiddlewareMap;
  const middleware: MiddlewareMap = {};
  for (const [type, fields] of Object.entries(generated)) {
    middleware[type] = {};
    const definitions = (schema.getType(type) as GraphQLObjectType).getFields();
    for (const [field, shieldMiddleware] of Object.entries(fields)) {
      const rule = ruleOf(rules, type, field);
      if (rule === allow) continue;
      const evaluate = rule ? directEvaluation(rule) : undefined;
      const definition = definitions[field]!;
      if (evaluate) definition.resolve = guarded(evaluate, (definition.resolve as Resolver | undefined) ?? defaultFieldResolver, options.fallbackError);
      else middleware[type][field] = shieldMiddleware;
    }
  }
  return applyMiddleware(schema, middleware);
}
