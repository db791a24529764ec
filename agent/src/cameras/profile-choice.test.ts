import { describe, expect, it } from 'vitest';
import { CameraProtocolError } from './camera-errors';
import { bestH264Profile, CameraProfileError, chooseProfiles, subH264Profile } from './profile-choice';

const p = (token: string, encoding: string, width: number, height: number, fps = 25, bitrate?: number) =>
  ({ token, encoding, width, height, fps, ...(bitrate ? { bitrate } : {}) });

describe('main and sub profile', () => {
  const hikvision = [p('Profile_1', 'H264', 1280, 720, 10, 4096), p('Profile_2', 'H264', 704, 480, 30, 1024), p('Profile_3', 'H264', 704, 480, 30, 1024)];

  it('main: highest resolution H.264, then frame rate; sub: smallest, ties keep the camera\'s order', () => {
    const many = [p('sub', 'H264', 640, 360), p('jpeg', 'JPEG', 3840, 2160), p('main', 'H264', 1920, 1080), p('main10', 'H264', 1920, 1080, 10), p('tiny', 'JPEG', 160, 90)];
    expect(bestH264Profile(many)?.token).toBe('main');
    expect(subH264Profile(many)?.token).toBe('sub');
    expect(chooseProfiles(hikvision, '10.10.1.60:80')).toEqual({ main: hikvision[0], sub: hikvision[1] });
  });

  it('one H.264 profile is both main and sub', () => {
    const pelco = [p('0', 'H264', 1920, 1080, 30, 6000), p('1', 'JPEG', 1920, 1080, 5, 5000)];
    const { main, sub } = chooseProfiles(pelco, '10.10.1.66:80');
    expect(main.token).toBe('0');
    expect(sub).toBe(main);
  });

  it('an operator\'s choice of an H.264 profile is the main one; the sub-stream stays the smallest', () => {
    expect(chooseProfiles(hikvision, 'cam:80', 'Profile_3')).toEqual({ main: hikvision[2], sub: hikvision[1] });
  });

  it('a token the camera lacks, or a profile that is not H.264, is a CameraProfileError listing the H.264 profiles', () => {
    expect(() => chooseProfiles(hikvision, '10.10.1.60:80', 'Profile_9')).toThrow(CameraProfileError);
    expect(() => chooseProfiles(hikvision, '10.10.1.60:80', 'Profile_9'))
      .toThrow('camera at 10.10.1.60:80 has no profile "Profile_9"; its H.264 profiles are "Profile_1" (1280x720), "Profile_2" (704x480), "Profile_3" (704x480)');
    const trendnet = [p('Profile_1', 'H264', 1280, 720), p('Profile_2', 'JPEG', 352, 240)];
    expect(() => chooseProfiles(trendnet, '10.10.1.67:80', 'Profile_2'))
      .toThrow('profile "Profile_2" of camera at 10.10.1.67:80 is JPEG, not H.264; its H.264 profiles are "Profile_1" (1280x720)');
  });

  it('no H.264 profile at all is a CameraProtocolError, whatever was asked for', () => {
    expect(() => chooseProfiles([p('j', 'JPEG', 640, 480), p('h5', 'H265', 1920, 1080)], 'cam:80')).toThrow(CameraProtocolError);
    expect(() => chooseProfiles([p('j', 'JPEG', 640, 480)], 'cam:80', 'j')).toThrow(/no H\.264 profile \(only JPEG\)/);
    expect(() => chooseProfiles([], 'cam:80')).toThrow(/reports no video profiles/);
  });
});
