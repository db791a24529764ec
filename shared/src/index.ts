export * from './protocol/index';
export { backoffDelay } from './backoff';
