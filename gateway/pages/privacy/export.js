// "Your data": everything the graph holds about the person (Query.myData), as one JSON file to
// download. The file is made in this tab (a blob: URL) from the API's answer; nothing is stored.
import { $, announce, h, problem, show } from './dom.js';
import { describeError, graphql } from './graphql.js';
import { serviceInWords } from './words.js';

const MY_DATA = 'query MyData { myData { exportedAt complete unavailable document } }';

let lastFile;

export async function exportMyData(onFailure) {
  const container = $('export-result');
  show(container, h('p', {}, 'Gathering your data from the app and every bank…'));
  let response;
  try {
    response = await graphql(MY_DATA);
  } catch (error) {
    show(container);
    return onFailure(error);
  }
  const data = response.data.myData;
  if (!data) {
    show(container, problem('Your data cannot be exported right now.', response.errors.map(describeError)));
    return announce('Your data cannot be exported right now.');
  }
  if (lastFile) URL.revokeObjectURL(lastFile);
  lastFile = URL.createObjectURL(new Blob([`${JSON.stringify(data.document, null, 2)}\n`], { type: 'application/json' }));
  const name = `my-data-${data.exportedAt.slice(0, 10)}.json`;
  const link = h('a', { href: lastFile, download: name, id: 'export-file' }, `Download ${name}`);
  show(
    container,
    data.complete ? null : problem('Part of your data is missing from this file: try again later.', data.unavailable.map((service) => `${serviceInWords(service)}: not reached.`)),
    h('p', {}, link),
  );
  announce(data.complete ? `Your data is ready: ${name}.` : `Your data is ready, but part of it is missing: ${data.unavailable.map(serviceInWords).join(', ')}.`);
}
