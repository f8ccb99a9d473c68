// "Who saw your data": the access log (User.accessLog), one row per request and bank in which
// someone was allowed to read the person's bank data. The API pages it by size only
// (`first`, at most ACCESS_LOG_MAX): "Show more" asks again for more. Reads of the profile and of
// chats are not in it; the export holds every store's record (the page says so).
import { describeError, errorsAt } from './graphql.js';
import { $, h, problem, show, time } from './dom.js';
import { fieldsInWords, purposeInWords, viewerInWords } from './words.js';

export const ACCESS_LOG_FIELDS = 'at viewerKind viewerId bank { id name } purpose fields';
/** Rows asked for at first, and added by each "Show more". */
export const ACCESS_LOG_PAGE = 50;
/** The most the API gives at once (kit/src/bank/audit-queries.ts). */
export const ACCESS_LOG_MAX = 200;

const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);

/**
 * Renders `log` as asked with `first: shown`. Each bank answers with its newest `shown` entries
 * and the gateway puts banks one after the other, so the page sorts them by time and keeps the
 * newest `shown`: exactly the newest of all banks. More may exist when that many came back.
 */
export function renderAccessLog(response, shown, onShowMore) {
  const container = $('access-log');
  const errors = errorsAt(response.errors, ['me', 'accessLog']);
  const all = response.data.me?.accessLog;
  if (!all) return show(container, problem('The list of who saw your data cannot be shown right now.', errors.map(describeError)));
  // With a bank missing, the list says what the banks that answered hold, never "nobody" or "all".
  const partial = errors.length > 0;
  if (all.length === 0) {
    return partial
      ? show(container, problem('Part of the list is missing:', errors.map(describeError)), h('p', { class: 'empty' }, 'Nothing to show from the banks that answered.'))
      : show(container, h('p', { class: 'empty' }, 'Nobody has read your bank data yet.'));
  }
  const log = [...all].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, shown);
  const maybeMore = all.length >= shown;
  const me = response.data.me.id;
  const caption = partial
    ? maybeMore ? `The latest ${log.length} times at the banks that answered, newest first` : log.length === 1 ? 'Once at the banks that answered' : `${log.length} times at the banks that answered, newest first`
    : maybeMore ? `The latest ${log.length} times, newest first` : log.length === 1 ? 'Once so far' : `All ${log.length} times, newest first`;
  show(
    container,
    partial ? problem('Part of the list is missing:', errors.map(describeError)) : null,
    h(
      'table',
      { class: 'log' },
      h('caption', {}, caption),
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
    maybeMore && shown < ACCESS_LOG_MAX
      ? h('div', {}, h('button', { type: 'button', class: 'secondary', id: 'log-more', onclick: onShowMore }, 'Show more'))
      : null,
    maybeMore && shown >= ACCESS_LOG_MAX
      ? h('p', { class: 'hint' }, `Only the latest ${ACCESS_LOG_MAX} are shown here. The file from “Export my data” holds them all.`)
      : null,
  );
}
