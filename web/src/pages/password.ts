import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';

/** Shown while the user holds a one-time password: nothing else is reachable until it is replaced. */
export function passwordPage(root: HTMLElement, done: () => void): void {
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', id: 'change-password' },
    h('h2', {}, 'Choose your password'),
    h('p', {}, 'You signed in with a one-time password. Choose your own (at least 12 characters).'),
    h('label', {}, 'One-time password', h('input', { name: 'current', type: 'password', autocomplete: 'current-password', required: true })),
    h('label', {}, 'New password', h('input', { name: 'next', type: 'password', autocomplete: 'new-password', minlength: '12', required: true })),
    h('button', { type: 'submit' }, 'Save password'),
    error) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    api('POST', '/api/session/password', formValues(form)).then(done, (err: Error) => { error.textContent = err.message; });
  });
  root.replaceChildren(form);
}
