// Who is signed in. The token is the platform's ordinary access token (a JWT the gateway verifies
// on every request); this page never makes one up and keeps it in this tab's sessionStorage only.
//
// How a token gets here (the same in development and production):
// - the platform's app, on this origin, opens `/privacy#access_token=<token>`: a URL fragment never
//   reaches a server; the page moves it into sessionStorage and removes it from the address bar;
// - or the app's shell, on this origin and in this tab, has already put it in sessionStorage under
//   TOKEN_KEY (the explorer at GET /graphql reads the same key).
// In development (meta sign-in = dev-token) a person may also paste a token from `npm run token`.

export const TOKEN_KEY = 'consent-gateway.access-token';

export const signInMode = () => document.querySelector('meta[name="sign-in"]')?.getAttribute('content') ?? 'platform-session';

/** Takes a token handed over in the URL fragment, then forgets the fragment. */
export function adoptFragmentToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('access_token');
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  history.replaceState(null, '', location.pathname + location.search);
}

/** The JWT in pasted text (`npm run token` without -s prints npm's banner lines around it). */
export const tokenIn = (text) => text.match(/eyJ[\w-]*\.[\w-]*\.[\w-]*/)?.[0];

export const currentToken = () => sessionStorage.getItem(TOKEN_KEY) || undefined;
export const saveToken = (token) => sessionStorage.setItem(TOKEN_KEY, token.trim());
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/**
 * What a token says about itself, for display and for a quick check before sending it (the
 * gateway verifies it; this is no verification). Undefined when it is not a readable JWT.
 */
export function readToken(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json);
    return typeof claims === 'object' && claims ? claims : undefined;
  } catch {
    return undefined;
  }
}
