// Media service (trt) operations: one H.264 profile whose encoder settings match the served clip.
import type { Operation } from './device-service';
import { child, escapeXml as x, faults, text } from './soap';
import { httpBase, rtspUrl, PROFILE_TOKEN, SNAPSHOT_PATH, VIDEO_SOURCE_TOKEN, type CameraState } from './state';

function profile(s: CameraState): string {
  const v = s.video;
  return `<trt:Profiles token="${PROFILE_TOKEN}" fixed="true"><tt:Name>mainStream</tt:Name>` +
    '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name>' +
    `<tt:UseCount>1</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${v.width}" height="${v.height}"/></tt:VideoSourceConfiguration>` +
    '<tt:VideoEncoderConfiguration token="VideoEncoderConfig_1"><tt:Name>VideoEncoder_1</tt:Name>' +
    '<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>' +
    `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>5</tt:Quality><tt:RateControl>' +
    `<tt:FrameRateLimit>${v.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${v.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${v.gop}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
    '<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>';
}

function mediaUri(uri: string, timeout: string): string {
  return `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>${timeout}</tt:Timeout></trt:MediaUri>`;
}

/** True if the request names our profile; real cameras fault with ter:NoProfile otherwise. */
function knownProfile(body: unknown, operation: string): boolean {
  const token = text(child(body, operation), 'ProfileToken');
  return token === undefined || token === PROFILE_TOKEN;
}

export const mediaOperations: Record<string, Operation> = {
  GetProfiles: (_req, s) => `<trt:GetProfilesResponse>${profile(s)}</trt:GetProfilesResponse>`,

  GetProfile: (req, s) => knownProfile(req.body, 'GetProfile')
    ? `<trt:GetProfileResponse>${profile(s).replace(/^<trt:Profiles /, '<trt:Profile ').replace(/<\/trt:Profiles>$/, '</trt:Profile>')}</trt:GetProfileResponse>`
    : faults.noProfile(),

  // The onvif npm client calls this while connecting and needs a source matching the profile.
  GetVideoSources: (_req, s) => '<trt:GetVideoSourcesResponse>' +
    `<trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>${s.video.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${s.video.width}</tt:Width><tt:Height>${s.video.height}</tt:Height></tt:Resolution>` +
    '</trt:VideoSources></trt:GetVideoSourcesResponse>',

  GetStreamUri: (req, s) => knownProfile(req.body, 'GetStreamUri')
    ? `<trt:GetStreamUriResponse>${mediaUri(rtspUrl(s), 'PT60S')}</trt:GetStreamUriResponse>`
    : faults.noProfile(),

  GetSnapshotUri: (req, s) => knownProfile(req.body, 'GetSnapshotUri')
    ? `<trt:GetSnapshotUriResponse>${mediaUri(`${httpBase(s)}${SNAPSHOT_PATH}`, 'PT0S')}</trt:GetSnapshotUriResponse>`
    : faults.noProfile(),
};
