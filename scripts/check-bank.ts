// `npm run check:bank -- <graphql-url> --bank <id> [--key <gateway private key> | --make-key <dir>]
//                       --user <test customer id> [--user ...] [--seed n] [--runs n]`
// The kit's conformance command line (kit/src/conformance/cli.ts, also the kit's bin
// `consent-kit-check-bank`): checks a running bank subgraph the way a security reviewer would and
// prints a report; exit code 0 when every check passes, 1 when one fails, 2 when nothing was
// checked (a usage error, an unreadable key, or a key pair --make-key has just made).
// docs/partner-banks.md explains each check and how the bank loads the gateway key it uses.
import { runCheckBankCli } from '@consent-gateway/kit/conformance-cli';

// `npm run` runs this from the repository's root: relative paths (--key, --make-key) are read from
// where the command was typed, which npm passes as INIT_CWD.
const byNpm = process.env.npm_lifecycle_event === 'check:bank' && process.env.INIT_CWD;
const cwd = byNpm ? { dir: process.env.INIT_CWD!, said: 'the directory you ran npm from' } : { dir: process.cwd(), said: 'the working directory' };

process.exit(await runCheckBankCli(process.argv.slice(2), { command: 'npm run check:bank --', cwd }));
