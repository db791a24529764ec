export * from './envelope';
export * from './agent-link';
export * from './console-link';
export * from './cameras';
export * from './alerts';
export * from './requests';
export * from './drones';
export * from './lighting';
