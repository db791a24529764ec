// hls.js's light build (no subtitles, alternate audio, DRM or CMCD: recorded playback needs none of
// them) is a third smaller; the package ships its types for the full build only, which it shares.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
  export * from 'hls.js';
}
