// The checked-in supergraph is what composition makes of the SDL files today, with no hints.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BANK_ROUTER_URL, composeSupergraph, RECORDS_URL, SUPERGRAPH_FILE } from '../scripts/compose.ts';
import { subgraphUrls } from '../gateway/engine.ts';

describe('supergraph', () => {
  it('is up to date (run `npm run compose` after changing schema/*.graphql)', () => {
    const { supergraphSdl } = composeSupergraph();
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(supergraphSdl);
  });

  it('composes without hints', () => {
    expect(composeSupergraph().hints).toEqual([]);
  });

  it('names every subgraph with its default routing URL; bank-account and records have none (the bank registry routes one, the gateway answers the other)', () => {
    expect(subgraphUrls(readFileSync(SUPERGRAPH_FILE, 'utf8'))).toEqual({
      'bank-account': BANK_ROUTER_URL,
      records: RECORDS_URL,
      messaging: 'http://localhost:4003/graphql',
      'user-profile': 'http://localhost:4001/graphql',
    });
  });
});
