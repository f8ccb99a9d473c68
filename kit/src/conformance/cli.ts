// The conformance checks from the command line: this package's bin `consent-kit-check-bank` and,
// in the platform's repository, `npm run check:bank` (scripts/check-bank.ts) run this.
//
//   consent-kit-check-bank <graphql-url> --bank <id> (--key <file> | --make-key <dir>) --user <id>... [--seed n] [--runs n]
//
// It checks a running bank subgraph the way a security reviewer would (`checkBank`) and prints the
// report. Exit codes: 0 every check passed; 1 a check failed; 2 nothing was checked (a usage error,
// a key that cannot be read, or a key pair `--make-key` has just made for the bank to load first).
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isBankId } from '../ids.ts';
import { checkBank, formatReport, type ConformanceReport } from './index.ts';

export const CHECK_BANK_BIN = 'consent-kit-check-bank';

export interface CheckBankCliOptions {
  /** How the usage text names the command (default `consent-kit-check-bank`). */
  command?: string;
  /** What relative paths (`--key`, `--make-key`) are resolved against, and how the usage text says it (default: the working directory). */
  cwd?: { dir: string; said: string };
  /** Where the report and the `--make-key` instructions go (default: stdout). */
  out?: (text: string) => void;
  /** Where usage errors and progress lines go (default: stderr). */
  err?: (text: string) => void;
  /** The checks (default: the kit's `checkBank`); a test may stand in for them. */
  check?: typeof checkBank;
}

/** Exit codes of the command. */
export const EXIT = { passed: 0, failed: 1, notChecked: 2 } as const;

export function checkBankUsage(command = CHECK_BANK_BIN, relativeTo = 'the working directory'): string {
  return `usage: ${command} <graphql-url> --bank <id> (--key <gateway private key file> | --make-key <dir>) --user <test customer id> [--user ...] [--seed n] [--runs n]

Checks a running bank subgraph the way the platform's security reviewers would, from the outside.
  <graphql-url>       the bank subgraph's GraphQL endpoint, e.g. https://bank.example/graphql
  --bank <id>         the bank's id, as in its objects' ids and the gateway's bank registry
  --key <file>        a gateway private key (PEM) whose public half the bank loads as the gateway's key
  --make-key <dir>    make such a key pair in <dir> on the first run and stop (load <dir>/gateway-public.pem
                      in a test deployment of the bank, restart it, run the same command again); later runs use it
  --user <id>         a test customer with accounts at the bank (repeatable); the checks revoke and grant
                      this customer's consents: never a real customer
  --seed n, --runs n  the randomized search's seed (default 1; the same seed replays the same run) and steps (default 60)
Relative paths are read from ${relativeTo}.

Exit codes: 0 every check passed; 1 a check failed (the report names every leak); 2 nothing was checked:
a usage error, a key that cannot be read, or --make-key has just made the key pair the bank must load first.`;
}

/** A gateway key pair for conformance runs, made once: the bank loads the public half. */
function keyPairIn(dir: string): { privateFile: string; publicFile: string; made: boolean } {
  const privateFile = join(dir, 'gateway-private.pem');
  const publicFile = join(dir, 'gateway-public.pem');
  if (existsSync(privateFile) && existsSync(publicFile)) return { privateFile, publicFile, made: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  writeFileSync(privateFile, privateKey, { mode: 0o600 });
  writeFileSync(publicFile, publicKey);
  return { privateFile, publicFile, made: true };
}

/**
 * Runs the command with `args` (the arguments after the command's name) and resolves to its exit
 * code; the caller exits with it (`process.exit`, as the bank's HTTP connections may keep a
 * process alive).
 */
export async function runCheckBankCli(args: readonly string[], options: CheckBankCliOptions = {}): Promise<number> {
  const out = options.out ?? ((text: string) => console.log(text));
  const err = options.err ?? ((text: string) => console.error(text));
  const cwd = options.cwd ?? { dir: process.cwd(), said: 'the working directory' };
  const usage = checkBankUsage(options.command, cwd.said);
  const fail = (message: string): number => {
    err(`${message}\n\n${usage}`);
    return EXIT.notChecked;
  };

  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        bank: { type: 'string' },
        key: { type: 'string' },
        'make-key': { type: 'string' },
        user: { type: 'string', multiple: true },
        seed: { type: 'string' },
        runs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(usage);
    return EXIT.passed;
  }
  const url = positionals[0];
  if (!url || !URL.canParse(url)) return fail("the bank subgraph's GraphQL URL is required, e.g. http://localhost:4002/graphql");
  if (positionals.length > 1) return fail(`one URL only (also got ${positionals.slice(1).join(' ')})`);
  const bankId = values.bank;
  if (!isBankId(bankId)) return fail("--bank <id> is required (the bank id, as in its objects' ids and the gateway's registry)");
  const testUsers = values.user ?? [];
  if (!testUsers.length) return fail('--user <test customer id> is required: a customer with accounts at the bank whose consents the checks may change');
  if (!!values.key === !!values['make-key']) return fail('give either --key or --make-key');
  const seed = values.seed ? Number(values.seed) : 1;
  const runs = values.runs ? Number(values.runs) : 60;
  if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) return fail('--seed and --runs are whole numbers');

  let keyFile = values.key ? resolve(cwd.dir, values.key) : undefined;
  if (values['make-key']) {
    const dir = resolve(cwd.dir, values['make-key']);
    const { privateFile, publicFile, made } = keyPairIn(dir);
    if (made) {
      out(`made a gateway key pair for conformance runs in ${dir}:
  load ${publicFile} as the bank's gateway key (GATEWAY_PUBLIC_KEY_FILE) in a test deployment, restart the bank, and run this again.
  A deployment that already trusts the platform's gateway: append it after the gateway's key in that file (read with parseGatewayKeys),
  and remove it again after the run (whoever holds its private key can call the bank as the gateway).
  (exit code 2: nothing was checked yet)`);
      return EXIT.notChecked;
    }
    keyFile = privateFile;
  }
  let gatewayKey: KeyObject;
  try {
    gatewayKey = createPrivateKey(readFileSync(keyFile!, 'utf8'));
  } catch (error) {
    return fail(`cannot read the gateway private key ${keyFile}: ${(error as Error).message}`);
  }
  const report: ConformanceReport = await (options.check ?? checkBank)({ url, bankId, gatewayKey, testUsers, seed, runs, log: err });
  out(formatReport(report));
  return report.ok ? EXIT.passed : EXIT.failed;
}
