// Starts one platform subgraph on a port: its database (own name), its indexes (idempotent), its server.
import type { Db } from 'mongodb';
import type { PlatformSubgraph } from './catalog.ts';
import { createMongoAuditStore } from '@consent-gateway/kit/audit-mongo';
import { createSubgraph, listenSubgraph, type ListeningSubgraph } from '@consent-gateway/kit/create-subgraph';
import type { ServerOptions } from '@consent-gateway/kit/subgraph-process';
import { SUBGRAPHS } from './registry.ts';

export interface ServeOptions extends ServerOptions {
  name: PlatformSubgraph;
  db: Db;
}

export interface RunningSubgraph extends ListeningSubgraph {
  name: PlatformSubgraph;
}

export async function serveSubgraph(options: ServeOptions): Promise<RunningSubgraph> {
  const module = SUBGRAPHS[options.name];
  const audit = createMongoAuditStore(options.db);
  await module.ensureIndexes(options.db);
  await audit.ensureIndexes();
  const subgraph = await createSubgraph(module.definition(options.db), {
    audit,
    auditKey: options.auditKey,
    dataSubject: module.dataSubject(options.db),
    ready: async () => void (await options.db.command({ ping: 1 })),
    gatewayKey: options.gatewayKey,
    exposeErrors: options.exposeErrors,
    operatorToken: options.operatorToken,
    log: options.log,
  });
  return { ...(await listenSubgraph(subgraph, options.port, options.host)), name: options.name };
}
