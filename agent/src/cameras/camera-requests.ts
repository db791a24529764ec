import { RequestError, type RequestRouter } from '../hub-link/request-router';
import { CameraError } from './camera-errors';
import { cameraInfo, type CameraManager } from './camera-manager';
import { LegalHoldError } from './legal-holds';
import { CameraProfileError } from './profile-choice';
import { RetentionPolicyError } from './retention';
import { SnapshotError } from './snapshot';

/** The hub's camera requests, answered by the camera manager; camera failures keep their own code. */
export function registerCameraRequests(router: RequestRouter, cameras: CameraManager): void {
  router.on('camera.discover', (args) => cameras.discover(args.timeoutMs));

  router.on('camera.add', async (args) => {
    try {
      return cameraInfo(await cameras.add(args));
    } catch (err) {
      if (err instanceof CameraError) throw new RequestError(err.kind, err.message);
      if (err instanceof CameraProfileError) throw new RequestError('bad-request', err.message);
      if (err instanceof Error && err.name === 'CameraAddressError') throw new RequestError('bad-request', err.message);
      throw err;
    }
  });

  router.on('camera.remove', async ({ cameraId }) => {
    if (!(await cameras.remove(cameraId))) throw new RequestError('not-found', `no camera "${cameraId}" at this site`);
    return { removed: true };
  });

  router.on('camera.snapshot', async ({ cameraId }) => {
    try {
      const jpeg = await cameras.snapshot(cameraId);
      if (jpeg.length > 1_300_000) throw new RequestError('protocol', 'the snapshot is larger than 1.3 MB');
      return { jpegBase64: jpeg.toString('base64'), takenAt: new Date().toISOString() };
    } catch (err) {
      if (err instanceof SnapshotError) throw new RequestError('unreachable', `no snapshot from the camera: ${err.message}`);
      throw err;
    }
  });

  router.on('holds.place', async (args) => {
    try {
      return await cameras.holds.add(args);
    } catch (err) {
      if (err instanceof LegalHoldError) throw new RequestError('bad-request', err.message);
      throw err;
    }
  });
  router.on('holds.release', async ({ id }) => {
    const h = await cameras.holds.release(id);
    if (!h) throw new RequestError('not-found', `no legal hold "${id}" at this site`);
    return h;
  });
  router.on('holds.list', async ({ cameraId }) => ({ holds: await cameras.holds.list(cameraId) }));

  router.on('retention.set', async (policy) => {
    try {
      await cameras.setRetention(policy);
      return { applied: policy, appliedAt: new Date().toISOString() };
    } catch (err) {
      if (err instanceof RetentionPolicyError) throw new RequestError('bad-request', err.message);
      throw err;
    }
  });
  router.on('storage.report', async () => {
    const s = await cameras.storage();
    const p = s.policy;
    return {
      disk: s.disk,
      policy: { maxAgeHours: p.maxAgeHours ?? 72, minFreePercent: p.minFreePercent ?? 5, ...(p.purpose ? { purpose: p.purpose } : {}), ...(p.cameras ? { cameras: p.cameras } : {}) },
      cameras: s.cameras,
    };
  });

  router.on('recordings.ranges', async ({ cameraId, from, to }) => {
    if (!cameras.runtime(cameraId) && !(await cameras.store.get(cameraId))) throw new RequestError('not-found', `no camera "${cameraId}" at this site`);
    const r = await cameras.index.ranges(cameraId, from, to);
    return { ranges: r.ranges, gaps: r.gaps.map((g) => ({ start: g.from, end: g.to })), bytes: r.totals.bytes };
  });
}
