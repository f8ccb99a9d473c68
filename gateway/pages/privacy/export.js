// "Your data": everything the graph holds about the person (Query.myData), as one JSON file to
// download. The file is made in this tab (a blob: URL) from the API's answer; nothing is stored.
// Every bank is asked, and the gateway waits for a slow one up to its deadline (a minute unless
// the operator set DATA_SUBJECT_TIMEOUT_MS): meanwhile the page says how long it has waited and
// why, and afterwards which service's part is missing from the file and why.
import { $, announce, h, problem, show } from './dom.js';
import { describeError, graphql, NoAnswer } from './graphql.js';
import { storeInWords } from './words.js';

const MY_DATA = 'query MyData { myData { exportedAt complete unavailable document } }';

/** The gateway's deadline for a slow bank's part, in words (filled in at start: gateway/pages.ts). */
const exportWait = () => document.querySelector('meta[name="export-wait"]')?.getAttribute('content') || 'a minute';

let lastFile;
let running = false;

/** Why each missing part is missing, from the errors that name its store (extensions.bank or .service). */
function missingInWords(unavailable, errors) {
  return unavailable.map((store) => {
    const error = errors.find((e) => (e.extensions?.bank ? `bank:${e.extensions.bank}` : e.extensions?.service) === store);
    const what = error?.extensions?.code === 'SUBGRAPH_TIMEOUT' ? 'did not answer in time' : 'could not be reached';
    return `${storeInWords(store)} ${what}, so what it holds about you is not in the file.`;
  });
}

const seconds = (ms) => {
  const s = Math.floor(ms / 1000);
  return s === 1 ? '1 second' : `${s} seconds`;
};

export async function exportMyData(onFailure) {
  // One export at a time: a second click while the first waits would only ask every bank again.
  if (running) return;
  running = true;
  const button = $('export');
  button.setAttribute('aria-busy', 'true');
  const container = $('export-result');
  const started = Date.now();
  const waited = h('span', { id: 'export-waited' });
  show(
    container,
    h('p', { id: 'export-progress' }, 'Gathering your data from the app and every bank… ', waited),
    h('p', { class: 'hint' }, `This usually takes a few seconds. If a bank is slow to answer, it can take up to ${exportWait()}: the file then comes without that bank’s part, and this page says so.`),
  );
  const timer = setInterval(() => (waited.textContent = `(${seconds(Date.now() - started)} so far)`), 1000);
  let response;
  try {
    response = await graphql(MY_DATA);
  } catch (error) {
    if (error instanceof NoAnswer) return show(container, problem('Your data cannot be exported right now.', [error.message]));
    show(container);
    return onFailure(error, 'Your data was not exported');
  } finally {
    clearInterval(timer);
    running = false;
    button.removeAttribute('aria-busy');
  }
  const data = response.data.myData;
  if (!data) return show(container, problem('Your data cannot be exported right now.', response.errors.map(describeError)));
  if (lastFile) URL.revokeObjectURL(lastFile);
  lastFile = URL.createObjectURL(new Blob([`${JSON.stringify(data.document, null, 2)}\n`], { type: 'application/json' }));
  const name = `my-data-${data.exportedAt.slice(0, 10)}.json`;
  const link = h('a', { href: lastFile, download: name, id: 'export-file' }, `Download ${name}`);
  show(
    container,
    data.complete
      ? null
      : problem('Your file is ready, but part of your data is missing from it:', [...missingInWords(data.unavailable, response.errors), 'Export again later for a complete copy.']),
    h('p', {}, link),
  );
  if (data.complete) announce(`Your data is ready: ${name}.`);
}
