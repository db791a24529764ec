/** A signed-in HTTP client for the hub's API, with the session cookie kept like a browser would. */
export class HubClient {
  cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* keep text */ }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.json('POST', '/api/session', { username, password });
  }

  /** Signs in with a one-time password and replaces it, as every new user must. */
  async signInFirstTime(username: string, oneTime: string, chosen: string): Promise<void> {
    await this.signIn(username, oneTime);
    await this.json('POST', '/api/session/password', { current: oneTime, next: chosen });
  }

  async createSite(name: string): Promise<{ site: { id: string }; agent: { id: string }; enrolmentToken: string }> {
    return this.json('POST', '/api/sites', { name });
  }

  async agent(agentId: string): Promise<{ id: string; online: boolean; revoked: boolean; lastSeen: string | null } | undefined> {
    const fleet = await this.json<{ agents: { id: string; online: boolean; revoked: boolean; lastSeen: string | null }[] }>('GET', '/api/fleet');
    return fleet.agents.find((a) => a.id === agentId);
  }
}
