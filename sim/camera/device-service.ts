// Device service (tds) operations, shaped like the Hikvision and Axis answers in the fixtures.
import { child, escapeXml as x, text, type Fault, type SoapRequest } from './soap';
import { cameraNow, httpBase, DEVICE_PATH, MEDIA_PATH, type CameraState } from './state';

export type OperationResult = string | Fault;
/** What an operation may ask of the rest of the camera beyond its state. */
export interface CameraActions {
  /**
   * Make the stream at this RTSP path send a keyframe now (SetSynchronizationPoint); false when it
   * cannot (a looped clip), and the operation answers ter:ActionNotSupported.
   */
  keyframe(rtspPath: string, profileToken: string): boolean;
}
export type Operation = (req: SoapRequest, state: CameraState, actions: CameraActions) => OperationResult;

function dateTime(tag: string, d: Date): string {
  return `<tt:${tag}><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:${tag}>`;
}

const version = (major: number, minor: number): string =>
  `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version>`;

const getSystemDateAndTime: Operation = (_req, state) => {
  // The camera runs on UTC, so local time equals UTC; a skewed clock shows in both.
  const now = cameraNow(state);
  return '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    '<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>' +
    dateTime('UTCDateTime', now) + dateTime('LocalDateTime', now) +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>';
};

const getDeviceInformation: Operation = (_req, s) =>
  '<tds:GetDeviceInformationResponse>' +
  `<tds:Manufacturer>${x(s.manufacturer)}</tds:Manufacturer><tds:Model>${x(s.model)}</tds:Model>` +
  `<tds:FirmwareVersion>${x(s.firmwareVersion)}</tds:FirmwareVersion><tds:SerialNumber>${x(s.serialNumber)}</tds:SerialNumber>` +
  `<tds:HardwareId>${x(s.hardwareId)}</tds:HardwareId></tds:GetDeviceInformationResponse>`;

const getCapabilities: Operation = (_req, s) => {
  const base = httpBase(s);
  return '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
    `<tt:Device><tt:XAddr>${base}${DEVICE_PATH}</tt:XAddr>` +
    '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>' +
    '<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
    '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>' +
    '<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
    '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>20</tt:Minor></tt:SupportedVersions></tt:System>' +
    '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>' +
    '<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>' +
    '<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>' +
    '<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>' +
    `<tt:Media><tt:XAddr>${base}${MEDIA_PATH}</tt:XAddr><tt:StreamingCapabilities>` +
    '<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>' +
    '</tt:StreamingCapabilities></tt:Media>' +
    '</tds:Capabilities></tds:GetCapabilitiesResponse>';
};

const getServices: Operation = (req, s) => {
  const base = httpBase(s);
  const withCaps = text(child(req.body, 'GetServices'), 'IncludeCapability') === 'true';
  const deviceCaps = withCaps
    ? '<tds:Capabilities><tds:Capabilities>' +
      '<tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>' +
      '<tds:Security TLS1.1="false" TLS1.2="false" OnboardKeyGeneration="false" AccessPolicyConfig="false" ' +
      'X.509Token="false" SAMLToken="false" KerberosToken="false" UsernameToken="true" HttpDigest="false" RELToken="false"/>' +
      '<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" ' +
      'SystemLogging="false" FirmwareUpgrade="false"/></tds:Capabilities></tds:Capabilities>'
    : '';
  const mediaCaps = withCaps
    ? '<tds:Capabilities><trt:Capabilities SnapshotUri="true" Rotation="false" OSD="false">' +
      '<trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
      '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true" NonAggregateControl="false"/>' +
      '</trt:Capabilities></tds:Capabilities>'
    : '';
  return '<tds:GetServicesResponse>' +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>${base}${DEVICE_PATH}</tds:XAddr>` +
    `${deviceCaps}${version(2, 20)}</tds:Service>` +
    `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace><tds:XAddr>${base}${MEDIA_PATH}</tds:XAddr>` +
    `${mediaCaps}${version(2, 20)}</tds:Service>` +
    '</tds:GetServicesResponse>';
};

/** Operations a client may call before authenticating: it needs the clock to build a digest. */
export const PUBLIC_OPERATIONS = new Set(['GetSystemDateAndTime']);

export const deviceOperations: Record<string, Operation> = {
  GetSystemDateAndTime: getSystemDateAndTime,
  GetDeviceInformation: getDeviceInformation,
  GetCapabilities: getCapabilities,
  GetServices: getServices,
};
