// Building the page from data with text nodes only (never innerHTML): nothing a bank or a user
// typed can turn into markup or script.

/**
 * `h('p', { class: 'x' }, 'text', child)`: an element with attributes and children. Attributes
 * whose value is false, null or undefined are left out; `on<event>` attributes become listeners.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

export const $ = (id) => document.getElementById(id);

/** Replaces what a container shows. */
export function show(container, ...children) {
  container.replaceChildren(...children.flat().filter(Boolean));
}

let pending;

/**
 * A short message that something was done, for everyone, screen readers included (the status
 * region is aria-live). Only for what went right or was chosen: a failure is shown where it
 * happened, in a box of its own (`problem`, role alert), and nowhere else.
 */
export function announce(text) {
  const status = $('status');
  quiet();
  // A new text node after a tick, so that the same message twice is read twice.
  pending = setTimeout(() => (status.textContent = text), 30);
}

/** Takes the last message away (a new action starts: what was said of the previous one no longer applies). */
export function quiet() {
  clearTimeout(pending);
  $('status').textContent = '';
}

/**
 * A box that says something could not be shown and why: never an empty list in its place.
 * `lines` are sentences, or `{ text, code }` from errorInWords: the code goes in a tooltip only.
 */
export function problem(title, lines = []) {
  return h('div', { class: 'problem', role: 'alert' }, h('strong', {}, title), lines.length ? h('ul', {}, reasons(lines)) : null);
}

/** List items for sentences or `{ text, code }`, each sentence once. */
export function reasons(lines) {
  const seen = new Map();
  for (const line of lines) {
    const { text, code } = typeof line === 'string' ? { text: line } : line;
    if (!seen.has(text)) seen.set(text, code);
  }
  return [...seen].map(([text, code]) => h('li', { title: code ? `For support: ${code}` : null }, text));
}

// Times in the person's own time zone, with the zone's name ("14:05 CET"), so that nobody has
// to convert from UTC; the exact UTC time is in a tooltip.
const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const utc = (date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const isStartOfDay = (d) => d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0 && d.getMilliseconds() === 0;
const isEndOfDay = (d) => d.getHours() === 23 && d.getMinutes() === 59 && d.getSeconds() === 59;

/**
 * A time from the API for people, in a machine-readable <time>. `day: 'start' | 'end'` is for
 * dates the person chose as whole days: shown as a date when the time is the start (or end) of
 * that day here, with the hour and zone otherwise (chosen elsewhere, or in another time zone).
 */
export function time(iso, { day } = {}) {
  const date = new Date(iso);
  const whole = (day === 'start' && isStartOfDay(date)) || (day === 'end' && isEndOfDay(date));
  return h('time', { datetime: iso, title: utc(date) }, (whole ? dateOnly : dateTime).format(date));
}
