import type { AgentEvent, CameraHealth, CameraInfo, RetentionPolicyView, Role } from '@sargs/shared';

export interface UserRecord {
  username: string;
  role: Role;
  passwordHash: string;
  /** Set for one-time passwords: the user must choose their own before doing anything else. */
  mustChangePassword: boolean;
  createdAt: string;
}

export interface SessionRecord {
  username: string;
  createdAt: string;
  expiresAt: string;
}

export interface SiteRecord {
  id: string;
  name: string;
  createdAt: string;
}

export interface AgentRecord {
  id: string;
  siteId: string;
  name: string;
  /** SHA-256 of the enrolment token's secret part; the token itself is never stored. */
  tokenHash: string;
  createdAt: string;
  revoked: boolean;
  lastSeen: string | null;
  version: string | null;
  hostname: string | null;
  /** Highest outbox sequence stored from this agent: the exactly-once watermark. */
  lastSeq: number;
}

export interface StoredEvent {
  agentId: string;
  seq: number;
  receivedAt: string;
  event: AgentEvent;
}

export interface HubCameraRecord {
  agentId: string;
  siteId: string;
  info: CameraInfo;
  health: CameraHealth;
  updatedAt: string;
}

export interface SiteRetention {
  policy: RetentionPolicyView;
  setBy: string;
  setAt: string;
  /** Set when the site's agent confirmed it applied exactly this policy. */
  applied?: { at: string; agentId: string };
}
