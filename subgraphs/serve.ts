// Starts one subgraph on a port: its database (own name), its indexes (idempotent), its server.
import type { CryptoKey, KeyObject } from 'jose';
import type { Db } from 'mongodb';
import type { SubgraphName } from './catalog.ts';
import { createSubgraph } from '@consent-gateway/kit/create-subgraph';
import { listen, type Listening } from '@consent-gateway/kit/http';
import { SUBGRAPHS } from './registry.ts';

export interface ServeOptions {
  name: SubgraphName;
  db: Db;
  gatewayKey: CryptoKey | KeyObject;
  port: number;
  host?: string;
  exposeErrors?: boolean;
  operatorToken?: string;
}

export interface RunningSubgraph extends Listening {
  name: SubgraphName;
  stop(): Promise<void>;
}

export async function serveSubgraph(options: ServeOptions): Promise<RunningSubgraph> {
  const module = SUBGRAPHS[options.name];
  await module.ensureIndexes(options.db);
  const subgraph = await createSubgraph(module.definition, {
    db: options.db,
    gatewayKey: options.gatewayKey,
    exposeErrors: options.exposeErrors,
    operatorToken: options.operatorToken,
  });
  const listening = await listen(subgraph.handler, options.port, options.host);
  return {
    ...listening,
    name: options.name,
    stop: async () => {
      await listening.close();
      await subgraph.stop();
    },
  };
}
