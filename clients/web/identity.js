// Who the person is (display name and organisation), remembered in localStorage, and the
// stable colour of each organisation.

import { isValidName, isValidSlug } from './outloud.js';

const STORAGE_KEY = 'outloud.identity';

/** Organisations offered as examples; any valid slug may be typed instead. */
export const EXAMPLE_ORGS = [
  { id: 'essex-cc', label: 'Essex County Council' },
  { id: 'nhs-mse', label: 'NHS Mid and South Essex' },
  { id: 'essex-police', label: 'Essex Police' },
  { id: 'essex-fire', label: 'Essex Fire and Rescue' },
  { id: 'uni-essex', label: 'University of Essex' },
  { id: 'charity', label: 'Charity or voluntary group' },
  { id: 'resident', label: 'Resident' },
];

/** Number of organisation colours in style.css (.org-c0 … .org-c11). */
const ORG_COLOURS = 12;

/**
 * The colour class of an organisation: the examples get distinct colours; other slugs a colour
 * from a hash, the same on every page and every visit.
 * @param {string} org
 */
export function orgColourClass(org) {
  const known = EXAMPLE_ORGS.findIndex((o) => o.id === org);
  if (known >= 0) return `org-c${known}`;
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < org.length; i++) {
    hash ^= org.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `org-c${hash % ORG_COLOURS}`;
}

/**
 * Checks a name and an organisation as the server does. Returns {name?, org?} error texts.
 * @param {string} name
 * @param {string} org
 */
export function validateIdentity(name, org) {
  const errors = {};
  if (!isValidName(name)) errors.name = 'Enter a display name of 1 to 80 characters.';
  if (!isValidSlug(org)) {
    errors.org =
      org && /[A-Z ]/.test(org) && isValidSlug(org.trim().toLowerCase().replace(/\s+/g, '-'))
        ? `Use lowercase and dashes, for example “${org.trim().toLowerCase().replace(/\s+/g, '-')}”.`
        : 'Use 1 to 64 lowercase letters, digits, dots, dashes, underscores or tildes, starting with a letter or digit.';
  }
  return errors;
}

/** @returns {{name: string, org: string}|null} */
export function loadIdentity() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
    if (saved && isValidName(saved.name) && isValidSlug(saved.org)) return { name: saved.name, org: saved.org };
  } catch {
    // unreadable: ask again
  }
  return null;
}

/** @param {{name: string, org: string}} identity */
export function saveIdentity(identity) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ name: identity.name, org: identity.org }));
  } catch {
    // storage disabled: the person signs in again next time
  }
}

export function forgetIdentity() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing to forget
  }
}

/** A label for an organisation id: the example's full name, or the id itself. */
export function orgLabel(org) {
  const known = EXAMPLE_ORGS.find((o) => o.id === org);
  return known ? known.label : org;
}
