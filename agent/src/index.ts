export { Agent, type AgentOptions } from './agent';
export { loadAgentConfig, parseAgentConfig, ConfigError, type AgentConfig } from './config';
export { AGENT_VERSION } from './version';
