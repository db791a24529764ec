import { ApiError, api, type SessionUser } from './lib/api';
import { alertsPage } from './pages/alerts';
import { auditPage } from './pages/audit';
import { cameraPage } from './pages/camera';
import { dronesPage } from './pages/drones';
import { flightPage } from './pages/flight';
import { flightsPage } from './pages/flights';
import { fleetPage } from './pages/fleet';
import { gridPage } from './pages/grid';
import { syncPlaybackPage } from './pages/sync-playback';
import { lightingPage } from './pages/lighting';
import { storagePage } from './pages/storage';
import { passwordPage } from './pages/password';
import { plannerPage } from './pages/planner';
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
  const flight = /^#\/flights\/([^/?]+)$/.exec(location.hash);
  const drones = user.role !== 'security'; // pilots, operators and admins see the drones
  if (camera?.[1]) leave = cameraPage(app, camera[1], user.role);
  else if (drones && flight?.[1]) leave = flightPage(app, decodeURIComponent(flight[1]), user.role);
  else if (drones && /^#\/flights(\?|$)/.test(location.hash)) leave = flightsPage(app, user.role);
  else if (drones && location.hash === '#/drones') leave = dronesPage(app);
  else if (/^#\/grid(\?|$)/.test(location.hash) && user.role !== 'pilot') leave = gridPage(app, user);
  else if (/^#\/playback(\?|$)/.test(location.hash) && (user.role === 'admin' || user.role === 'security')) leave = syncPlaybackPage(app, user);
  else if (location.hash === '#/planner' && (user.role === 'admin' || user.role === 'pilot')) leave = plannerPage(app);
  else if (location.hash === '#/alerts' && (user.role === 'admin' || user.role === 'operator')) leave = alertsPage(app);
  else if (location.hash === '#/audit' && user.role === 'admin') leave = auditPage(app);
  else if (location.hash === '#/storage' && user.role !== 'pilot') leave = storagePage(app, user);
  else if (location.hash === '#/lighting' && user.role !== 'pilot') leave = lightingPage(app, user);
  else leave = fleetPage(app, user, route);
}

/** Links to the pages this role may open. */
function nav(user: SessionUser): void {
  const links: [string, string][] = [['#/', 'Sites']];
  if (user.role !== 'pilot') links.push(['#/grid', 'Live']);
  if (user.role === 'admin' || user.role === 'operator') links.push(['#/alerts', 'Alerts']);
  if (user.role !== 'security') links.push(['#/drones', 'Drones'], ['#/flights', 'Flights']);
  if (user.role === 'admin' || user.role === 'pilot') links.push(['#/planner', 'Planner']);
  if (user.role !== 'pilot') links.push(['#/storage', 'Storage'], ['#/lighting', 'Lighting']);
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
