// `npm run check:bank -- <graphql-url> --bank <id> [--key <gateway private key> | --make-key <dir>]
//                       --user <test customer id> [--user ...] [--seed n] [--runs n]`
// Checks a running bank subgraph the way a security reviewer would (the kit's conformance checks)
// and prints a report; exit code 0 when every check passes, 1 when one fails, 2 for a usage error.
// docs/partner-banks.md explains each check and how the bank loads the gateway key it uses.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkBank, formatReport } from '@consent-gateway/kit/conformance';
import { isBankId } from '@consent-gateway/kit/ids';

const USAGE = 'usage: npm run check:bank -- <graphql-url> --bank <id> (--key <gateway private key file> | --make-key <dir>) --user <test customer id> [--user ...] [--seed n] [--runs n]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** A gateway key pair for conformance runs, made once: the bank loads the public half. */
function keyPairIn(dir: string): { privateFile: string; made: boolean } {
  const privateFile = join(dir, 'gateway-private.pem');
  const publicFile = join(dir, 'gateway-public.pem');
  if (existsSync(privateFile) && existsSync(publicFile)) return { privateFile, made: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  writeFileSync(privateFile, privateKey, { mode: 0o600 });
  writeFileSync(publicFile, publicKey);
  return { privateFile, made: true };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bank: { type: 'string' },
    key: { type: 'string' },
    'make-key': { type: 'string' },
    user: { type: 'string', multiple: true },
    seed: { type: 'string' },
    runs: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) (console.log(USAGE), process.exit(0));
const url = positionals[0];
if (!url || !URL.canParse(url)) fail('the bank subgraph\'s GraphQL URL is required, e.g. http://localhost:4002/graphql');
if (!isBankId(values.bank)) fail('--bank <id> is required (the bank id, as in its objects\' ids and the gateway\'s registry)');
if (!values.user?.length) fail('--user <test customer id> is required: a customer with accounts at the bank whose consents the checks may change');
if (!!values.key === !!values['make-key']) fail('give either --key or --make-key');
const seed = values.seed ? Number(values.seed) : 1;
const runs = values.runs ? Number(values.runs) : 60;
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) fail('--seed and --runs are whole numbers');

let keyFile = values.key;
if (values['make-key']) {
  const { privateFile, made } = keyPairIn(values['make-key']);
  if (made) {
    console.log(`made a gateway key pair for conformance runs in ${values['make-key']}:
  load ${join(values['make-key'], 'gateway-public.pem')} as the bank's gateway key (GATEWAY_PUBLIC_KEY_FILE), restart the bank, and run this again.`);
    process.exit(2);
  }
  keyFile = privateFile;
}
let gatewayKey;
try {
  gatewayKey = createPrivateKey(readFileSync(keyFile!, 'utf8'));
} catch (error) {
  fail(`cannot read the gateway private key ${keyFile}: ${(error as Error).message}`);
}
const report = await checkBank({ url, bankId: values.bank, gatewayKey, testUsers: values.user, seed, runs, log: (line) => console.error(line) });
console.log(formatReport(report));
process.exit(report.ok ? 0 : 1);
