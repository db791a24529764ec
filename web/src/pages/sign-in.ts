import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';

export function signInPage(root: HTMLElement, done: () => void): void {
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', id: 'sign-in' },
    h('h2', {}, 'Sign in'),
    h('label', {}, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit' }, 'Sign in'),
    error) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    api('POST', '/api/session', formValues(form)).then(done, (err: Error) => { error.textContent = err.message; });
  });
  root.replaceChildren(form);
}
