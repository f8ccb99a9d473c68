// The offline explorer: GraphiQL (window.GraphiQL, from the gateway's own copy of its browser
// bundle) with a token field. Every request it makes, introspection included, carries
// `Authorization: Bearer <token>`; the README's example queries open as tabs. The token is kept
// where the privacy centre keeps it (this tab's sessionStorage), so signing in there works here.
import { adoptFragmentToken, currentToken, forgetToken, readToken, saveToken, tokenIn } from '/privacy/session.js';

const { React, ReactDOM, GraphiQL } = window;
const $ = (id) => document.getElementById(id);

/** POSTs to this gateway with the token; a header typed in GraphiQL's editor cannot replace it. */
function fetcherFor(token) {
  return async (params, options = {}) => {
    const typed = Object.entries(options.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization');
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { ...Object.fromEntries(typed), 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(params),
    });
    return response.json();
  };
}

function describe(token) {
  const claims = readToken(token);
  if (!claims) return 'This does not look like a JWT; the gateway will say why it refuses it.';
  const expired = typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  return `Requests go as ${claims.sub ?? '?'} (client ${claims.client ?? '?'}, purpose ${claims.purpose ?? 'none'})${expired ? ' — this token has expired' : ''}.`;
}

const examples = await fetch('/explorer/examples.json').then((r) => r.json());
const root = ReactDOM.createRoot($('graphiql'));

function start(token) {
  $('auth-state').textContent = describe(token);
  $('waiting').hidden = true;
  $('graphiql').hidden = false;
  // Same component, new fetcher: GraphiQL keeps the tabs and fetches the schema again with the token.
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcherFor(token),
      defaultTabs: examples.map((example) => ({ query: example.query })),
      defaultEditorToolsVisibility: false,
      // Tabs live as long as the browser tab, like the token; nothing is kept on disk.
      storage: window.sessionStorage,
      shouldPersistHeaders: false,
    }),
  );
}

$('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenIn($('token').value) ?? $('token').value.trim();
  if (!token) {
    $('auth-state').textContent = 'Paste a token first (npm run token -- --sub alice prints one).';
    return;
  }
  saveToken(token);
  start(token);
});

$('forget').addEventListener('click', () => {
  forgetToken();
  $('token').value = '';
  $('auth-state').textContent = 'Token forgotten.';
  root.render(null);
  $('graphiql').hidden = true;
  $('waiting').hidden = false;
});

adoptFragmentToken();
const saved = currentToken();
if (saved) {
  $('token').value = saved;
  start(saved);
}
