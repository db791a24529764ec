export { startHub, type HubOptions, type RunningHub } from './hub';
export { HubStore } from './store/hub-store';
export { AlertEngine, type AlertEngineDeps } from './alerts/alert-engine';
export { DEFAULT_ALERT_SETTINGS, resolveAlertSettings, type AlertSettings, type AlertSettingsInput, type EmailSettings, type WebhookSettings } from './alerts/settings';
export type { Clock, TimerHandle } from './alerts/clock';
export { AuditLog, AuditKeyRequiredError, type AuditEntry, type AuditInput, type VerifyResult } from './audit/audit-log';
export { createUser } from './auth/users';
export { issueAgent } from './agents/enrolment';
export { loadHubConfig, HubConfigError } from './config';
