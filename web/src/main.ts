import { ApiError, api, type SessionUser } from './lib/api';
import { alertsPage } from './pages/alerts';
import { auditPage } from './pages/audit';
import { cameraPage } from './pages/camera';
import { fleetPage } from './pages/fleet';
import { storagePage } from './pages/storage';
import { passwordPage } from './pages/password';
import { signInPage } from './pages/sign-in';

const app = document.getElementById('app') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
let leave: (() => void) | undefined;

/** Chooses the page from the session: sign in, set a password, or the fleet. */
async function route(): Promise<void> {
  leave?.();
  leave = undefined;
  let user: SessionUser | undefined;
  try {
    user = await api<SessionUser>('GET', '/api/session');
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
  }
  who.textContent = user ? `${user.username} (${user.role})` : '';
  if (!user) {
    (document.getElementById('nav') as HTMLElement).replaceChildren();
    return signInPage(app, route);
  }
  if (user.mustChangePassword) return passwordPage(app, route);
  nav(user);
  const camera = /^#\/cameras\/([\w.-]+)$/.exec(location.hash);
  if (camera?.[1]) leave = cameraPage(app, camera[1], user.role);
  else if (location.hash === '#/alerts' && (user.role === 'admin' || user.role === 'operator')) leave = alertsPage(app);
  else if (location.hash === '#/audit' && user.role === 'admin') leave = auditPage(app);
  else if (location.hash === '#/storage' && user.role !== 'pilot') leave = storagePage(app, user);
  else leave = fleetPage(app, user, route);
}

/** Links to the pages this role may open. */
function nav(user: SessionUser): void {
  const links: [string, string][] = [['#/', 'Sites']];
  if (user.role === 'admin' || user.role === 'operator') links.push(['#/alerts', 'Alerts']);
  if (user.role !== 'pilot') links.push(['#/storage', 'Storage']);
  if (user.role === 'admin') links.push(['#/audit', 'Audit log']);
  const el = document.getElementById('nav') as HTMLElement;
  el.replaceChildren(...links.map(([href, text]) => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    return a;
  }));
}

window.addEventListener('hashchange', () => void route());
void route();
