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

/** A short message for everyone, screen readers included (the status region is aria-live). */
export function announce(text) {
  const status = $('status');
  status.textContent = '';
  // A new text node after a tick, so that the same message twice is read twice.
  setTimeout(() => (status.textContent = text), 30);
}

/** A box that says something could not be shown and why: never an empty list in its place. */
export function problem(title, lines) {
  return h('div', { class: 'problem', role: 'alert' }, h('strong', {}, title), lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A time from the API (UTC ISO string) for people, with a machine-readable <time>. */
export function time(iso, { withTime = true } = {}) {
  const date = new Date(iso);
  return h('time', { datetime: iso }, `${(withTime ? dateTime : dateOnly).format(date)}${withTime ? ' UTC' : ''}`);
}
