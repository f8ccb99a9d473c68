// "Who saw your data": the access log (User.accessLog), one row per request and bank in which
// someone was allowed to read the person's bank data.
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, show, time } from './dom.js';
import { fieldsInWords, purposeInWords, viewerInWords } from './words.js';

export const ACCESS_LOG_FIELDS = 'at viewerKind viewerId bank { id name } purpose fields';

const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);

export function renderAccessLog(response) {
  const container = $('access-log');
  const errors = errorsAt(response.errors, ['me', 'accessLog']);
  const log = response.data.me?.accessLog;
  if (!log) return show(container, problem('The access log cannot be shown right now.', errors.map(describeError)));
  if (log.length === 0) return show(container, h('p', { class: 'empty' }, 'Nobody has read your bank data yet.'));
  const me = response.data.me.id;
  show(
    container,
    h(
      'table',
      { class: 'log' },
      h('caption', {}, `The last ${log.length} ${log.length === 1 ? 'access' : 'accesses'}, newest first`),
      h('thead', {}, h('tr', {}, ['When', 'Who', 'Bank', 'Why', 'What they saw'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        log.map((e) =>
          h(
            'tr',
            {},
            cell('When', time(e.at)),
            cell('Who', viewerInWords(e, me)),
            cell('Bank', e.bank?.name ?? '—'),
            cell('Why', purposeInWords(e.purpose)),
            cell('What they saw', fieldsInWords(e.fields).join(', ')),
          ),
        ),
      ),
    ),
  );
}
