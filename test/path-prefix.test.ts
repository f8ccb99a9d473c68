// A bank (or subgraph) served under a path prefix (https://bank.example/consent/graphql): the
// routes the kit serves beside GraphQL (/ready, /health, /records/...) are resolved against the
// GraphQL endpoint's directory, by the gateway (readiness probe, records routes) and by the
// conformance checker alike, so the prefix is kept.
import { describe, expect, it } from 'vitest';
import { besideGraphql } from '@consent-gateway/kit/http';

const cases: Array<[string, string, string]> = [
  ['http://127.0.0.1:4002/graphql', '/records/export', 'http://127.0.0.1:4002/records/export'],
  ['http://127.0.0.1:4002/graphql', '/ready', 'http://127.0.0.1:4002/ready'],
  ['https://bank.example/consent/graphql', '/records/export', 'https://bank.example/consent/records/export'],
  ['https://bank.example/consent/graphql', '/ready', 'https://bank.example/consent/ready'],
  ['https://bank.example/consent/graphql/', '/health', 'https://bank.example/consent/health'],
  ['https://bank.example/a/b/graphql?x=1#frag', '/records/audit-events', 'https://bank.example/a/b/records/audit-events'],
  ['http://bank.example:8080', '/ready', 'http://bank.example:8080/ready'],
  ['http://bank.example:8080/', 'records/erase', 'http://bank.example:8080/records/erase'],
];

// One function (kit/src/http.ts) for both.
describe('routes beside a GraphQL endpoint', () => {
  it.each(cases)('%s + %s → %s', (url, route, expected) => {
    expect(besideGraphql(url, route)).toBe(expected);
  });
});
