export { startHub, type HubOptions, type RunningHub } from './hub';
export { HubStore } from './store/hub-store';
export { createUser } from './auth/users';
export { issueAgent } from './agents/enrolment';
