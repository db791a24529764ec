import { ApiError, api, type SessionUser } from './lib/api';
import { cameraPage } from './pages/camera';
import { fleetPage } from './pages/fleet';
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
  if (!user) return signInPage(app, route);
  if (user.mustChangePassword) return passwordPage(app, route);
  const camera = /^#\/cameras\/([\w.-]+)$/.exec(location.hash);
  leave = camera?.[1] ? cameraPage(app, camera[1]) : fleetPage(app, user, route);
}

window.addEventListener('hashchange', () => void route());
void route();
