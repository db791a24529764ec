// `sargs camera probe|discover`: what the agent would learn about a camera, without an agent running.
import { CameraAddressError, CameraError, describeOffset } from '@sargs/agent/cameras/camera-errors';
import type { DiscoveredCamera } from '@sargs/agent/cameras/discovery';
import type { ProbeResult } from '@sargs/agent/cameras/onvif-client';
import { addressText } from '@sargs/shared/protocol/cameras';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../usage-error';

export const CAMERA_PASSWORD_ENV = 'SARGS_CAMERA_PASSWORD';

interface ProbeCliOptions { url: string; user: string; password?: string; profile?: string; timeout: number; json?: boolean }
interface DiscoverCliOptions { timeout: number; json?: boolean }

export function cameraCommand(): Command {
  const camera = new Command('camera').description('find ONVIF cameras and check what the agent would learn from one');

  camera.command('probe')
    .description('ask one camera for its device information, clock, profiles and stream addresses')
    .requiredOption('--url <url>', 'ONVIF device service, e.g. http://192.168.1.64/onvif/device_service')
    .requiredOption('--user <name>', 'camera user name')
    .option('--password <password>', `camera password (better: the ${CAMERA_PASSWORD_ENV} environment variable)`)
    .option('--profile <token>', 'the H.264 profile to record instead of the highest-resolution one')
    .option('--timeout <seconds>', 'how long to wait for each ONVIF answer', seconds(1, 60), 5)
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `\nThe password may come from the environment variable ${CAMERA_PASSWORD_ENV} instead of --password,\n` +
      'so it stays out of shell history and process listings:\n' +
      `  read -rs ${CAMERA_PASSWORD_ENV} && export ${CAMERA_PASSWORD_ENV}\n` +
      '  sargs camera probe --url http://192.168.1.64/onvif/device_service --user admin')
    .action(async (o: ProbeCliOptions) => {
      // An empty variable counts as unset (a cleared export); an empty --password is taken as given.
      const password = o.password ?? (process.env[CAMERA_PASSWORD_ENV] || undefined);
      if (password === undefined) throw new UsageError(`give the camera password with --password or the ${CAMERA_PASSWORD_ENV} environment variable`);
      // The ONVIF client is loaded only by the commands that use it.
      const { probeCamera, MAX_CLOCK_SKEW_MS } = await import('@sargs/agent/cameras/onvif-client');
      const { CameraProfileError } = await import('@sargs/agent/cameras/profile-choice');
      let result: ProbeResult;
      try {
        result = await probeCamera({ url: o.url, username: o.user, password, timeoutMs: o.timeout * 1000, ...(o.profile !== undefined ? { profileToken: o.profile } : {}) });
      } catch (err) {
        if (err instanceof CameraAddressError || err instanceof CameraProfileError) throw new UsageError(err.message);
        if (o.json && err instanceof CameraError) console.log(JSON.stringify({ error: { kind: err.kind, message: err.message } }));
        throw err;
      }
      console.log(o.json ? JSON.stringify(result, null, 2) : printable(probeTable(result, MAX_CLOCK_SKEW_MS)));
    });

  camera.command('discover')
    .description('list the cameras that answer a WS-Discovery probe on this network segment')
    .option('--timeout <seconds>', 'how long to listen for answers', seconds(1, 30), 4)
    .option('--json', 'print JSON instead of a table')
    .action(async (o: DiscoverCliOptions) => {
      const { discoverCameras } = await import('@sargs/agent/cameras/discovery');
      const found = await discoverCameras({ timeoutMs: o.timeout * 1000 });
      if (o.json) console.log(JSON.stringify(found, null, 2));
      else console.log(printable(discoverTable(found, o.timeout)));
    });

  return camera;
}

/** Names and URIs come from the camera: no terminal control sequences from it reach the screen. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '?');
}

function seconds(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`must be a number of seconds from ${min} to ${max}.`);
    return n;
  };
}

function probeTable(r: ProbeResult, maxSkewMs: number): string {
  const d = r.deviceInformation;
  const skewOk = Math.abs(r.clockOffsetMs) <= maxSkewMs;
  const lines = [
    `Camera     ${r.deviceUrl}`,
    `Device     ${[d.manufacturer, d.model].filter(Boolean).join(' ') || '(unnamed)'}` +
      `${d.firmwareVersion ? `, firmware ${d.firmwareVersion}` : ''}${d.serialNumber ? `, serial ${d.serialNumber}` : ''}`,
    `Clock      ${describeOffset(r.clockOffsetMs)} this gateway${skewOk ? '' : ' (too far: fix the camera time)'}`,
    'Profiles',
    ...table(['', 'TOKEN', 'NAME', 'ENCODING', 'RESOLUTION', 'FPS', 'BITRATE'], r.profiles.map((p) => [
      p.token === r.profileToken ? '*' : p.token === r.subProfileToken ? 's' : '', p.token, p.name, p.encoding,
      `${p.width}x${p.height}`, String(p.fps), p.bitrate ? `${p.bitrate} kbit/s` : '',
    ])).map((l) => `  ${l}`),
    'Addresses',
    ...table(['TOKEN', '', 'ADDRESS'], r.profiles.flatMap((p) => [
      [p.token, 'stream', address(p.streamUri, p.reportedStreamUri, '(none given)')],
      ['', 'snapshot', address(p.snapshotUri, p.reportedSnapshotUri, '(none offered)')],
    ])).map((l) => `  ${l}`),
    `Stream     ${address(r.streamUri, r.reportedStreamUri, '')}`,
    `Snapshot   ${address(r.snapshotUri, r.reportedSnapshotUri, '(none offered)')}`,
    `* the profile the agent would record${r.subProfileToken !== r.profileToken ? '; s the sub-stream for live views' : ' (also the sub-stream for live views)'}`,
  ];
  return lines.join('\n');
}

function address(uri: string | undefined, reported: string | undefined, none: string): string {
  return uri ? addressText(uri, reported) : none;
}

function discoverTable(found: DiscoveredCamera[], timeoutS: number): string {
  if (found.length === 0) {
    return `No camera answered within ${timeoutS} s. Discovery reaches only this network segment, and some brands ship with ONVIF off.`;
  }
  const rows = found.map((c) => [c.name ?? '', c.chosenUrl ?? '(no usable address)', c.hardware ?? '', c.location ?? '', c.endpointReference]);
  const lines = table(['NAME', 'ADDRESS', 'HARDWARE', 'LOCATION', 'ENDPOINT'], rows);
  for (const c of found) {
    const others = c.xaddrs.filter((x) => x !== c.chosenUrl);
    if (others.length) lines.push(`${c.name ?? c.endpointReference} also reported: ${others.join(' ')}`);
  }
  lines.push(`${found.length} camera${found.length === 1 ? '' : 's'} found.`);
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}
