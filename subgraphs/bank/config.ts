// Configuration of one bank subgraph process (our demo banks; a partner's looks the same), from
// the environment, validated at start with every problem named at once.
import { EnvReader } from '@consent-gateway/kit/config';
import { isBankId } from '@consent-gateway/kit/ids';
import { readSubgraphProcessConfig, type SubgraphProcessConfig } from '@consent-gateway/kit/subgraph-process';
import { bankDatabaseName } from '../registry.ts';

export interface BankConfig extends SubgraphProcessConfig {
  bank: { id: string; name: string };
  /** The bank's own database: `MONGODB_DATABASE`, by default `<MONGODB_DB_PREFIX>bank_<BANK_ID>`. */
  database: string;
}

export function loadBankConfig(env: NodeJS.ProcessEnv = process.env, reader = new EnvReader(env)): BankConfig {
  const r = reader;
  const id = r.string('BANK_ID');
  if (id && !isBankId(id)) r.problem(`BANK_ID must be lower-case letters, digits and dashes, starting with a letter, 2–40 characters (got "${id}")`);
  const name = r.string('BANK_NAME');
  if (!r.optional('PORT')) r.problem('PORT is required (each bank listens on its own port)');
  const port = r.int('PORT', 0, { min: 1, max: 65535 });
  const config: BankConfig = {
    bank: { id, name },
    ...readSubgraphProcessConfig(r, port, env),
    database: r.optional('MONGODB_DATABASE') ?? bankDatabaseName(r.string('MONGODB_DB_PREFIX', 'consent_'), id),
  };
  r.done('bank');
  return config;
}
