// Media service (trt) operations: a main stream and a smaller sub-stream, both H.264 (or both H.265,
// the camera's `codec`), whose encoder settings match the clips served at their own RTSP paths.
// An H.265 encoder is reported as cameras do over Media (ver10), which has no H.265 of its own:
// Encoding H265 and no H264 element.
import type { Operation } from './device-service';
import { child, escapeXml as x, faults, text } from './soap';
import { httpBase, rtspUrl, streamProfiles, VIDEO_SOURCE_TOKEN, type CameraState, type StreamProfile } from './state';

function profile(s: CameraState, p: StreamProfile, index: number, element = 'trt:Profiles'): string {
  const v = p.video;
  const n = index + 1;
  return `<${element} token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    '<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name>' +
    `<tt:UseCount>2</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${s.video.width}" height="${s.video.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoderConfig_${n}"><tt:Name>VideoEncoder_${n}</tt:Name>` +
    `<tt:UseCount>1</tt:UseCount><tt:Encoding>${s.codec === 'h265' ? 'H265' : 'H264'}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>5</tt:Quality><tt:RateControl>' +
    `<tt:FrameRateLimit>${v.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${v.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    (s.codec === 'h265' ? '' : `<tt:H264><tt:GovLength>${v.gop}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>`) +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
    '<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></${element}>`;
}

function mediaUri(uri: string, timeout: string): string {
  return `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>${timeout}</tt:Timeout></trt:MediaUri>`;
}

/**
 * The profile a request names, the main one when it names none (as the onvif library's
 * defaults do); undefined for an unknown token, which real cameras fault with ter:NoProfile.
 */
function requestedProfile(body: unknown, operation: string, s: CameraState): { p: StreamProfile; index: number } | undefined {
  const token = text(child(body, operation), 'ProfileToken');
  const all = streamProfiles(s);
  const index = token === undefined ? 0 : all.findIndex((p) => p.token === token);
  const p = all[index];
  return p ? { p, index } : undefined;
}

export const mediaOperations: Record<string, Operation> = {
  GetProfiles: (_req, s) => `<trt:GetProfilesResponse>${streamProfiles(s).map((p, i) => profile(s, p, i)).join('')}</trt:GetProfilesResponse>`,

  GetProfile: (req, s) => {
    const r = requestedProfile(req.body, 'GetProfile', s);
    return r ? `<trt:GetProfileResponse>${profile(s, r.p, r.index, 'trt:Profile')}</trt:GetProfileResponse>` : faults.noProfile();
  },

  // The onvif npm client calls this while connecting and needs a source matching the profile.
  GetVideoSources: (_req, s) => '<trt:GetVideoSourcesResponse>' +
    `<trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>${s.video.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${s.video.width}</tt:Width><tt:Height>${s.video.height}</tt:Height></tt:Resolution>` +
    '</trt:VideoSources></trt:GetVideoSourcesResponse>',

  GetStreamUri: (req, s) => {
    const r = requestedProfile(req.body, 'GetStreamUri', s);
    return r ? `<trt:GetStreamUriResponse>${mediaUri(rtspUrl(s, r.p.rtspPath, true), 'PT60S')}</trt:GetStreamUriResponse>` : faults.noProfile();
  },

  // Profile S makes this mandatory; a camera whose streams are looped clips cannot make a
  // keyframe on demand, and says so with ter:ActionNotSupported (as a camera without the
  // operation would), so clients see both answers: honoured, and refused.
  SetSynchronizationPoint: (req, s, actions) => {
    const r = requestedProfile(req.body, 'SetSynchronizationPoint', s);
    if (!r) return faults.noProfile();
    return actions.keyframe(r.p.rtspPath, r.p.token) ? '<trt:SetSynchronizationPointResponse/>' : faults.actionNotSupported('SetSynchronizationPoint');
  },

  GetSnapshotUri: (req, s) => {
    const r = requestedProfile(req.body, 'GetSnapshotUri', s);
    return r ? `<trt:GetSnapshotUriResponse>${mediaUri(`${httpBase(s, true)}${r.p.snapshotPath}`, 'PT0S')}</trt:GetSnapshotUriResponse>` : faults.noProfile();
  },
};
