// Which API the admin panel may send its admin key to. A link to the panel with ?api=https://attacker.example
// must not make it hand the key over, so ?api= may only name the page's own origin or one the page lists.

/** The origin of a URL, or null when it is not an http(s) URL. */
function originOf(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The API for a page at `location`: its own origin without ?api=; with ?api=, that URL (origin and path, nothing
 * else) only if its origin is the page's own or one of `allowedApis` (space-separated URLs, from the page's
 * data-allowed-apis attribute, which deploy/deploy.sh fills with the deployed API's origin).
 * @param {{ search: string, origin: string }} location
 * @param {string | undefined} allowedApis
 * @returns {{ baseUrl: string, origin: string } | { error: string }}
 */
export function chooseApi(location, allowedApis) {
  const requested = new URLSearchParams(location.search).get('api');
  if (requested === null) return { baseUrl: location.origin, origin: location.origin };
  const origin = originOf(requested);
  const allowed = [location.origin, ...(allowedApis ?? '').split(/\s+/).map(originOf)].filter(Boolean);
  if (!origin || !allowed.includes(origin)) {
    return { error: `This panel does not send keys to ${origin ?? `“${requested}”`}: ?api= may name only ${allowed.join(' or ')}.` };
  }
  return { baseUrl: origin + new URL(requested).pathname.replace(/\/+$/, ''), origin };
}

/** The saved key, if it was accepted by this API; a key saved for another API (or in another form) is not used. */
export function savedKeyFor(saved, origin) {
  try {
    const entry = JSON.parse(saved ?? 'null');
    return entry?.api === origin && typeof entry.key === 'string' ? entry.key : null;
  } catch {
    return null;
  }
}

/** What is saved once a key is accepted: the key with the origin of the API that accepted it. */
export const keyEntry = (origin, key) => JSON.stringify({ api: origin, key });
