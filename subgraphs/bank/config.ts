// Configuration of one bank subgraph process (our demo banks; a partner's looks the same), from
// the environment, validated at start with every problem named at once.
import { EnvReader, isDevelopment } from '@consent-gateway/kit/config';
import { isBankId } from '@consent-gateway/kit/ids';
import { readObservabilityConfig, type ObservabilityConfig } from '@consent-gateway/kit/observability';
import { bankDatabaseName } from '../registry.ts';

export interface BankConfig {
  bank: { id: string; name: string };
  port: number;
  host: string;
  mongoUri: string;
  /** The bank's own database: `MONGODB_DATABASE`, by default `<MONGODB_DB_PREFIX>bank_<BANK_ID>`. */
  database: string;
  gatewayPublicKeyFile: string;
  /** The bank's audit key: pseudonyms of user ids in its decision records. */
  auditKeyFile: string;
  exposeErrors: boolean;
  /** Shows /ready's details and /metrics to callers that are not on this machine. */
  operatorToken?: string;
  observability: ObservabilityConfig;
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
    port,
    host: r.string('HOST', '127.0.0.1'),
    mongoUri: r.string('MONGODB_URI'),
    database: r.optional('MONGODB_DATABASE') ?? bankDatabaseName(r.string('MONGODB_DB_PREFIX', 'consent_'), id),
    gatewayPublicKeyFile: r.string('GATEWAY_PUBLIC_KEY_FILE'),
    auditKeyFile: r.string('AUDIT_KEY_FILE'),
    exposeErrors: isDevelopment(env),
    operatorToken: r.secret('OPERATOR_TOKEN'),
    observability: readObservabilityConfig(r),
  };
  r.done('bank');
  return config;
}
