import type { RequestResult } from '@sargs/shared/protocol/requests';
import { api } from '../lib/api';
import { formValues, h } from '../lib/dom';

type Discovered = RequestResult<'camera.discover'>['devices'][number];

/**
 * Finding and adding cameras at one site (IT staff): a WS-Discovery scan run by the
 * site's agent, and a form for an address typed in by hand. The camera's password goes
 * to the agent, which stores it encrypted; the hub never keeps it.
 */
export function siteCameraTools(siteId: string): HTMLElement {
  const results = h('div', { 'data-testid': 'discovery' });
  const status = h('p', { class: 'note', role: 'status' });
  const form = h('form', { class: 'add-camera' },
    h('label', {}, 'ONVIF address', h('input', { name: 'url', required: true, placeholder: 'http://192.168.1.64/onvif/device_service' })),
    h('label', {}, 'Name (optional)', h('input', { name: 'name', maxlength: '128' })),
    h('label', {}, 'Username', h('input', { name: 'username', required: true, autocomplete: 'off' })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    // The camera page lists a camera's profiles; adding it again with a token records that one instead.
    h('label', {}, 'Profile to record (optional)', h('input', { name: 'profileToken', maxlength: '128', placeholder: 'the highest-resolution H.264 one' })),
    h('button', { type: 'submit' }, 'Add camera')) as HTMLFormElement;

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    status.textContent = 'Asking the camera…';
    const profileToken = v.profileToken?.trim();
    api<{ name: string }>('POST', `/api/sites/${siteId}/cameras`, {
      url: v.url, username: v.username, password: v.password ?? '', ...(v.name ? { name: v.name } : {}), ...(profileToken ? { profileToken } : {}),
    })
      .then((cam) => { status.textContent = `Added "${cam.name}"; it starts recording now.`; form.reset(); },
        (err: Error) => { status.textContent = err.message; });
  });

  const scan = () => {
    status.textContent = 'Scanning the site network (a few seconds)…';
    api<{ devices: Discovered[] }>('GET', `/api/sites/${siteId}/discovery`).then(({ devices }) => {
      status.textContent = `${devices.length} device${devices.length === 1 ? '' : 's'} answered.`;
      results.replaceChildren(h('table', {}, h('tbody', {}, ...devices.map((d) => h('tr', {},
        h('td', {}, d.name ?? d.endpointReference),
        h('td', {}, d.hardware ?? ''),
        h('td', {}, d.url ?? d.xaddrs.join(' ')),
        h('td', {}, d.added ? 'added' : d.url ? h('button', { type: 'button', onclick: () => {
          (form.elements.namedItem('url') as HTMLInputElement).value = d.url ?? '';
          (form.elements.namedItem('name') as HTMLInputElement).value = d.name ?? '';
          (form.elements.namedItem('username') as HTMLInputElement).focus();
        } }, 'Add…') : 'no usable address'))))));
    }, (err: Error) => { status.textContent = err.message; });
  };

  return h('details', { class: 'camera-tools' },
    h('summary', {}, 'Find or add cameras'),
    h('button', { type: 'button', onclick: scan }, 'Scan for ONVIF cameras'),
    results, form, status);
}
