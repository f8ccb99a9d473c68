// The records fields fan out to every store, and are priced so (gateway/graph-costs.ts,
// FAN_OUT_WEIGHTS): for a first-party caller, whose call reaches the stores, one export or
// erasure fits the cost limit and ten do not, an auditEvents page costs each entry once per
// store; for anyone else, who is refused at the field before any store is asked, they cost what
// any field does, so that refusal stays the field's own. And an operation selects myData or
// eraseMyData once at most, however it is spelled (aliases, fragments), checked in linear time.
import type { IncomingMessage } from 'node:http';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { HttpError } from '@consent-gateway/kit/http';
import { loadClientRegistry } from '../gateway/clients.ts';
import { DEFAULT_PERSISTED_OPERATIONS_FILE, loadGatewayConfig, type CallerKind } from '../gateway/config.ts';
import type { GatewayContext } from '../gateway/engine.ts';
import { FAN_OUT_WEIGHTS, PAGE_SIZES, weightsFor } from '../gateway/graph-costs.ts';
import { measureDocument } from '../gateway/operation-shape.ts';
import { PersistedOperations } from '../gateway/persisted-operations.ts';
import { createRequestGate } from '../gateway/request-gate.ts';
import { composeSupergraph } from '../scripts/compose.ts';

const api = composeSupergraph().apiSchema();
const config = loadGatewayConfig({ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'test', GATEWAY_PRIVATE_KEY_FILE: '/dev/null' });
const gate = createRequestGate({
  limits: config.limits,
  introspection: 'off',
  operations: PersistedOperations.load(DEFAULT_PERSISTED_OPERATIONS_FILE),
  anonymousOperations: 'arbitrary',
  clients: loadClientRegistry(config.clientRegistryFile),
  schema: () => api,
});

const IDENTITIES: Record<CallerKind, GatewayContext['identity']> = {
  anonymous: { roles: [] } as unknown as GatewayContext['identity'],
  'third-party': { sub: 'alice', client: 'partner-app', clientType: 'third-party', roles: ['user'], purpose: 'customer_service' } as GatewayContext['identity'],
  'first-party': { sub: 'alice', client: 'messenger-web', clientType: 'first-party', roles: ['user'], purpose: 'customer_service' } as GatewayContext['identity'],
};

/** The gate's refusal codes for `query` from a caller of this kind; [] when it lets it through. */
async function refusals(query: string, caller: CallerKind = 'first-party'): Promise<Array<{ code: string; extensions?: Record<string, unknown> }>> {
  const req = { headers: { 'content-type': 'application/json' } } as unknown as IncomingMessage;
  try {
    await gate({ req, method: 'POST', body: { query }, search: '' }, { identity: IDENTITIES[caller], requestId: 'r' } as GatewayContext);
    return [];
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    expect(error.status).toBe(400);
    return error.errors.map((e) => ({ code: e.code, extensions: e.extensions }));
  }
}

const cost = (query: string, caller: CallerKind) =>
  measureDocument(parse(query), { schema: api, assumedListSize: config.limits.assumedListSize, pageSizes: PAGE_SIZES, weights: weightsFor(caller) }).cost;

const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

describe('the weights of the fields that ask every store', () => {
  it('name fields of the graph', () => {
    for (const coordinate of Object.keys(FAN_OUT_WEIGHTS)) {
      const [type, field] = coordinate.split('.') as [string, string];
      expect(api.getType(type), coordinate).toBeDefined();
      expect((api.getType(type) as { getFields?: () => Record<string, unknown> }).getFields?.()[field], coordinate).toBeDefined();
    }
  });

  it('one export or erasure fits a first-party app, ten are refused for cost', async () => {
    expect(cost('{ myData { complete document } }', 'first-party')).toBe(2_500);
    expect(await refusals('{ myData { complete document } }')).toEqual([]);
    expect(await refusals('mutation { eraseMyData { complete } }')).toEqual([]);
    const ten = await refusals(`{ ${aliases(10, 'myData { complete }')} }`);
    expect(ten).toContainEqual({ code: 'COST_LIMIT_EXCEEDED', extensions: { measured: 25_000, limit: 20_000 } });
    expect(ten).toContainEqual({ code: 'DATA_SUBJECT_FIELD_REPEATED', extensions: { field: 'myData' } });
  });

  it('an auditEvents entry is read from every store', async () => {
    expect(cost('{ auditEvents(first: 500) { edges { node { id } } } }', 'first-party')).toBe(1 + 500 * 10 + 500);
    expect(await refusals('{ auditEvents(first: 500) { edges { node { id } } } }')).toEqual([]);
    expect((await refusals(`{ ${aliases(4, 'auditEvents(first: 500) { edges { node { id } } }')} }`)).map((e) => e.code)).toEqual(['COST_LIMIT_EXCEEDED']);
  });

  it('cost what any field does for callers who are refused at the field before any store is asked', async () => {
    for (const caller of ['anonymous', 'third-party'] as const) {
      expect(cost('{ myData { complete } }', caller)).toBe(1);
      expect(await refusals('{ myData { complete } }', caller)).toEqual([]);
      expect(await refusals('mutation { eraseMyData { complete } }', caller)).toEqual([]);
    }
  });
});

describe('myData and eraseMyData once per operation', () => {
  it.each([
    ['two aliases', '{ a: myData { complete } b: myData { complete } }', 'myData'],
    ['a field and a fragment', '{ myData { complete } ...E } fragment E on Query { myData { exportedAt } }', 'myData'],
    ['an inline fragment', '{ myData { complete } ... on Query { again: myData { complete } } }', 'myData'],
    ['the same fragment spread twice', '{ ...E ...E } fragment E on Query { myData { complete } }', 'myData'],
    ['an erasure twice', 'mutation { eraseMyData { complete } again: eraseMyData { complete } }', 'eraseMyData'],
  ])('%s is refused, for every caller', async (_what, query, field) => {
    for (const caller of ['anonymous', 'first-party'] as const) expect(await refusals(query, caller)).toContainEqual({ code: 'DATA_SUBJECT_FIELD_REPEATED', extensions: { field } });
  });

  it('one each of an export and other fields is fine', async () => {
    expect(await refusals('{ myData { complete } me { id } banks { id } }')).toEqual([]);
  });

  it('fragments that double at every level are counted in linear time', async () => {
    // Walked once per spread, these 30 levels would be 2^30 visits: the test would never finish.
    let query = '{ ...F30 } fragment F0 on Query { myData { complete } }';
    for (let i = 1; i <= 30; i++) query += ` fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`;
    const codes = (await refusals(query)).map((e) => e.code);
    expect(codes).toContain('DATA_SUBJECT_FIELD_REPEATED');
  });
});
