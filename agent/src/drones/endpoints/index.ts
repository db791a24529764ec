import type { Endpoint, EndpointConfig, EndpointDeps } from './endpoint';
import { SerialEndpoint } from './serial';
import { TcpClientEndpoint } from './tcp-client';
import { TcpServerEndpoint } from './tcp-server';
import { UdpClientEndpoint } from './udp-client';
import { UdpServerEndpoint } from './udp-server';

export type { Endpoint, EndpointConfig, EndpointKind, EndpointReport, ReconnectSettings } from './endpoint';

/** Builds the endpoint a configuration entry describes (config.ts has checked the fields each kind needs). */
export function createEndpoint(config: EndpointConfig, deps: EndpointDeps): Endpoint {
  const missing = (field: string): never => {
    throw new Error(`drone endpoint "${config.name}" (${config.kind}) needs "${field}"`);
  };
  switch (config.kind) {
    case 'serial':
      return new SerialEndpoint({ ...config, device: config.device ?? missing('device') }, deps);
    case 'udp-server':
      return new UdpServerEndpoint({ ...config, port: config.port ?? missing('port') }, deps);
    case 'udp-client':
      return new UdpClientEndpoint({ ...config, host: config.host ?? missing('host'), port: config.port ?? missing('port') }, deps);
    case 'tcp-server':
      return new TcpServerEndpoint({ ...config, port: config.port ?? missing('port') }, deps);
    case 'tcp-client':
      return new TcpClientEndpoint({ ...config, host: config.host ?? missing('host'), port: config.port ?? missing('port') }, deps);
  }
}
