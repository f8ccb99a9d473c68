#!/usr/bin/env node
// `consent-kit-check-bank`, the package's bin: the conformance checks against a running bank
// subgraph (cli.ts; `consent-kit-check-bank --help`). Relative paths are read from the working
// directory, as `npx consent-kit-check-bank` leaves it.
import { runCheckBankCli } from './cli.ts';

process.exit(await runCheckBankCli(process.argv.slice(2)));
