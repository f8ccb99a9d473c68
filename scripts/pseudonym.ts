// `OBSERVABILITY_ID_KEY=… npm run -s pseudonym -- <user id>...`: a person's pseudonym as the
// services' log lines and spans show it (kit/src/pseudonym.ts), computed with the services' key:
// how an operator finds one person's lines without the logs ever holding the id.
import { EnvReader } from '@consent-gateway/kit/config';
import { pseudonym, PSEUDONYM_KEY_ENV } from '@consent-gateway/kit/pseudonym';

const ids = process.argv.slice(2);
const r = new EnvReader();
const key = r.secret(PSEUDONYM_KEY_ENV);
if (!key) r.problem(`${PSEUDONYM_KEY_ENV} is required: the key the services run with (a service without one draws a random key, whose pseudonyms nobody can recompute)`);
if (!ids.length) r.problem('name at least one user id, e.g. npm run -s pseudonym -- alice');
try {
  r.done('pseudonym');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
for (const id of ids) console.log(`${id}\t${pseudonym(id, key)}`);
