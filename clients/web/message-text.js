// A message's text as the page shows it: written left-to-right or right-to-left as its own words
// say (dir="auto"), with http(s) links made clickable safely, and a long message folded behind
// "Show more". Text only ever becomes text nodes and attribute values (never innerHTML); a link's
// address must parse as an http: or https: URL, and opens with rel="noopener noreferrer".

import { h } from './dom.js';

/** Longer messages (in characters or lines) are folded. */
export const FOLD_CHARS = 1200;
export const FOLD_LINES = 14;

// A candidate link: http(s):// up to white space or an angle bracket or quote.
const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"']+/gi;
// Punctuation that ends a sentence rather than the address.
const TRAILING = /[.,;:!?'"\u2019\u201d]+$/;

/** The address if `candidate` is a safe http(s) link, else null. */
export function safeHref(candidate) {
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** Splits a candidate into the link and what follows it (closing punctuation, an unmatched `)`). */
function trimCandidate(raw) {
  let link = raw.replace(TRAILING, '');
  // "(see https://x.org/a)" — the `)` belongs to the sentence unless the link opened one.
  while (link.endsWith(')') && (link.match(/\(/g) || []).length < (link.match(/\)/g) || []).length) {
    link = link.slice(0, -1).replace(TRAILING, '');
  }
  return link;
}

/** Text and links, as nodes. */
export function linkified(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const link = trimCandidate(match[0]);
    const href = safeHref(link);
    if (!href) continue;
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    nodes.push(h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'msg-link', text: link }));
    at = match.index + link.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

function isLong(text) {
  if (text.length > FOLD_CHARS) return true;
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0 && lines <= FOLD_LINES; i = text.indexOf('\n', i + 1)) lines++;
  return lines > FOLD_LINES;
}

/**
 * The nodes of a message's text: the paragraph (class `msg-text`, its textContent the text as
 * sent), and for a long one a "Show more" button that unfolds it.
 */
export function messageText(text) {
  const p = h('p', { class: 'msg-text', dir: 'auto' }, ...linkified(text));
  if (!isLong(text)) return [p];
  p.classList.add('is-folded');
  p.id = `msg-text-${Math.random().toString(36).slice(2, 10)}`;
  const toggle = h('button', {
    type: 'button',
    class: 'link-button msg-fold',
    text: 'Show more',
    'aria-expanded': 'false',
    'aria-controls': p.id,
  });
  toggle.addEventListener('click', () => {
    const folded = p.classList.toggle('is-folded');
    toggle.textContent = folded ? 'Show more' : 'Show less';
    toggle.setAttribute('aria-expanded', String(!folded));
  });
  return [p, toggle];
}
