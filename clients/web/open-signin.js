// Signing in on an open-mode server (demos and tests): a display name and an organisation id,
// typed, with example organisations to pick from. The form is in index.html (#signin-view).

import { h, byId } from './dom.js';
import { EXAMPLE_ORGS, validateIdentity, orgColourClass } from './identity.js';

function showFieldError(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

export class OpenSignIn {
  /** @param {(identity: {name: string, org: string}) => void} onSubmit */
  constructor(onSubmit) {
    this.view = byId('signin-view');
    this.form = byId('signin-form');
    this.name = byId('signin-name');
    this.org = byId('signin-org');
    this.nameError = byId('signin-name-error');
    this.orgError = byId('signin-org-error');
    this.error = byId('signin-error');
    const examples = byId('org-examples');
    const chips = byId('org-chips');
    for (const org of EXAMPLE_ORGS) {
      examples.append(h('option', { value: org.id, label: org.label }));
      chips.append(
        h(
          'button',
          {
            type: 'button',
            class: `org-chip ${orgColourClass(org.id)}`,
            title: org.label,
            'aria-label': `${org.id}: ${org.label}`, // starts with the visible text (WCAG 2.5.3)
            on: {
              click: () => {
                this.org.value = org.id;
                showFieldError(this.orgError, '');
                this.org.removeAttribute('aria-invalid');
                this.org.focus();
              },
            },
          },
          org.id,
        ),
      );
    }
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = this.name.value.trim();
      const org = this.org.value.trim();
      const errors = validateIdentity(name, org);
      showFieldError(this.nameError, errors.name);
      showFieldError(this.orgError, errors.org);
      this.name.toggleAttribute('aria-invalid', !!errors.name);
      this.org.toggleAttribute('aria-invalid', !!errors.org);
      if (errors.name) return this.name.focus();
      if (errors.org) return this.org.focus();
      onSubmit({ name, org });
    });
  }

  /** Shows the form, with `message` (why the person is here again) and the last identity used. */
  show(message, identity) {
    this.view.hidden = false;
    showFieldError(this.error, message);
    if (identity) {
      this.name.value = identity.name;
      this.org.value = identity.org;
    }
    this.name.focus();
  }

  hide() {
    this.view.hidden = true;
  }
}
