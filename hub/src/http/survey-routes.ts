import { randomBytes } from 'node:crypto';
import { CAMERA_PRESETS } from '@sargs/shared/survey/camera-presets';
import { SurveyFileError, SurveyInputError } from '@sargs/shared/survey/errors';
import { readAreaFile } from '@sargs/shared/survey/files/area-files';
import { planToGeoJson, planToKml } from '@sargs/shared/survey/files/lines-export';
import { writeMission } from '@sargs/shared/survey/files/mission-file';
import type { AreaGeometry } from '@sargs/shared/survey/geojson';
import { areaSquareMetres, normalizeArea } from '@sargs/shared/survey/planner/area';
import { readEd269, type UasZone } from '@sargs/shared/survey/zones-ed269';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AgentGateway } from '../agents/agent-gateway';
import { AgentRequestError } from '../agents/agent-gateway';
import type { AuditLog } from '../audit/audit-log';
import type { Fleet } from '../fleet/fleet';
import type { VehicleRegistry } from '../flights/vehicle-registry';
import type { HubStore } from '../store/hub-store';
import {
  AreaParams, DownloadQuery, ExportQuery, MissionBody, NewArea, PlanBody, SiteParam, UploadBody, VehicleParams, ZonesBody, ZonesQuery,
} from '../survey/survey-api';
import { checkFor, pickFlight, planFor, planView, refuseIfMustNotFly, resolveMissions, SurveyRequestError } from '../survey/survey-service';
import { SurveyStore, type ZoneSet } from '../survey/survey-store';
import { VehicleMissions } from '../survey/vehicle-missions';
import { replyAgentError } from './agent-errors';

/** Pilots plan and fly; admins can do everything; operators (IT staff) may look but not change or fly. */
const PLANNERS = ['admin', 'pilot'] as const;
const VIEWERS = ['admin', 'operator', 'pilot'] as const;
// Areas, mission files and zone files are larger than the hub's 64 KiB default body.
const FILE_BODY = 8 * 1024 * 1024;
const ZONE_BODY = 20 * 1024 * 1024;

const FORMATS = {
  plan: { type: 'application/json', ext: 'plan' },
  waypoints: { type: 'text/plain; charset=utf-8', ext: 'waypoints' },
  kml: { type: 'application/vnd.google-earth.kml+xml', ext: 'kml' },
  geojson: { type: 'application/geo+json', ext: 'geojson' },
} as const;

/** Runs a handler; the survey's own refusals and the agent's answers become their HTTP status with the words kept. */
async function answer(reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SurveyRequestError) return reply.code(err.status).send({ error: err.message, ...err.extra });
    if (err instanceof SurveyInputError || err instanceof SurveyFileError) return reply.code(400).send({ error: err.message });
    if (err instanceof AgentRequestError) return replyAgentError(reply, err);
    throw err;
  }
}

const zoneSummary = (z: UasZone) => ({
  identifier: z.identifier, name: z.name, restriction: z.restriction, authorities: z.authorities.map((a) => a.name),
  volumes: z.volumes.map((v) => ({ outline: v.outline, lowerM: v.lowerM, upperM: v.upperM, lowerReference: v.lowerReference, upperReference: v.upperReference })),
});
const zoneSetView = (s: ZoneSet | undefined) => (s ? { fileName: s.fileName, uploadedAt: s.uploadedAt, uploadedBy: s.uploadedBy, zones: s.zones.map(zoneSummary) } : null);

export function surveyRoutes(app: FastifyInstance, deps: { store: HubStore; fleet: Fleet; agents: AgentGateway; audit: AuditLog; vehicles: Pick<VehicleRegistry, 'list'> }): void {
  const survey = new SurveyStore(deps.store.database);
  const missions = new VehicleMissions({ ...deps, survey });
  const needSite = async (siteId: string | undefined) => {
    if (siteId !== undefined && !(await deps.store.getSite(siteId))) throw new SurveyRequestError(404, `no site "${siteId}"`);
  };

  app.get('/api/survey/cameras', { config: { access: VIEWERS } }, async () => ({ cameras: CAMERA_PRESETS }));

  app.get('/api/sites/:siteId/areas', { config: { access: VIEWERS }, schema: { params: SiteParam } }, async (req, reply) => answer(reply, async () => {
    const { siteId } = req.params as { siteId: string };
    await needSite(siteId);
    return { areas: await survey.listAreas(siteId) };
  }));

  /** Saves an area drawn in the console (`geometry`) or imported from a GeoJSON or KML file (`file`). */
  app.post('/api/sites/:siteId/areas', { config: { access: PLANNERS }, bodyLimit: FILE_BODY, schema: { params: SiteParam, body: NewArea } }, async (req, reply) => answer(reply, async () => {
    const { siteId } = req.params as { siteId: string };
    const body = req.body as NewArea;
    await needSite(siteId);
    if (!!body.geometry === !!body.file) throw new SurveyRequestError(400, 'give either "geometry" (GeoJSON) or "file" (a GeoJSON or KML file), not both or neither');
    const geometry = body.file ? readAreaFile(body.file.name, body.file.text) : (body.geometry as AreaGeometry);
    const areaM2 = Math.round(areaSquareMetres(normalizeArea(geometry)));
    const name = body.name.trim();
    if ((await survey.listAreas(siteId)).some((a) => a.name === name)) throw new SurveyRequestError(409, `site "${siteId}" already has an area named "${name}"`);
    const area = { id: randomBytes(8).toString('hex'), siteId, name, geometry, areaM2, createdAt: new Date().toISOString(), createdBy: req.user!.username };
    await survey.putArea(area);
    await deps.audit.append({ actor: req.user!.username, action: 'survey.area.save', target: `${siteId}/${area.id}`, details: { name, areaM2, from: body.file ? body.file.name : 'drawn' } });
    return reply.code(201).send(area);
  }));

  app.delete('/api/sites/:siteId/areas/:areaId', { config: { access: PLANNERS }, schema: { params: AreaParams } }, async (req, reply) => answer(reply, async () => {
    const { siteId, areaId } = req.params as { siteId: string; areaId: string };
    const area = await survey.getArea(siteId, areaId);
    if (!area) throw new SurveyRequestError(404, `no area "${areaId}" at site "${siteId}"`);
    await survey.deleteArea(siteId, areaId);
    await deps.audit.append({ actor: req.user!.username, action: 'survey.area.delete', target: `${siteId}/${areaId}`, details: { name: area.name } });
    return reply.code(204).send();
  }));

  /** Area and parameters → flight lines, photo points, estimates, and the rules and zones check. */
  app.post('/api/survey/plan', { config: { access: PLANNERS }, bodyLimit: FILE_BODY, schema: { body: PlanBody } }, async (req, reply) => answer(reply, async () => {
    const { siteId, authorisation, ...input } = req.body as PlanBody;
    await needSite(siteId);
    const { plan, area } = await planFor(input, siteId, survey);
    return planView(plan, area, await checkFor(plan.flights.map((f) => f.mission), siteId, authorisation, survey));
  }));

  app.post('/api/survey/check', { config: { access: PLANNERS }, bodyLimit: FILE_BODY, schema: { body: MissionBody } }, async (req, reply) => answer(reply, async () => {
    const body = req.body as MissionBody;
    await needSite(body.siteId);
    const resolved = await resolveMissions(body, body.siteId, survey);
    const targets = body.flight === undefined ? resolved.missions : [pickFlight(resolved, body.flight).mission];
    return { ...(await checkFor(targets, body.siteId, body.authorisation, survey)), fileWarnings: resolved.warnings };
  }));

  /** A file for QGroundControl (.plan), Mission Planner (WPL 110), Google Earth (KML) or GIS (GeoJSON); refused if the plan must not fly. */
  app.post('/api/survey/export', { config: { access: PLANNERS }, bodyLimit: FILE_BODY, schema: { body: MissionBody, querystring: ExportQuery } }, async (req, reply) => answer(reply, async () => {
    const { format } = req.query as { format: keyof typeof FORMATS };
    const body = req.body as MissionBody;
    await needSite(body.siteId);
    const resolved = await resolveMissions(body, body.siteId, survey);
    const lines = format === 'kml' || format === 'geojson';
    if (lines && !resolved.plan) throw new SurveyRequestError(400, 'KML and GeoJSON exports are of a planned survey\'s lines: give "survey", not a mission file');
    const picked = lines ? undefined : pickFlight(resolved, body.flight);
    const check = await checkFor(picked ? [picked.mission] : resolved.missions, body.siteId, body.authorisation, survey);
    refuseIfMustNotFly(check, 'exported');
    if (body.authorisation) {
      await deps.audit.append({ actor: req.user!.username, action: 'survey.export', reason: `authorisation ${body.authorisation}`, details: { format, siteId: body.siteId ?? null, findings: check.findings.length } });
    }
    const text = picked ? writeMission(picked.mission, format === 'plan' ? 'qgc-plan' : 'wpl')
      : format === 'kml' ? planToKml(resolved.plan!) : JSON.stringify(planToGeoJson(resolved.plan!), null, 1);
    const base = (body.missionFile?.name.replace(/\.[^.]*$/, '') ?? 'survey').replace(/[^\w.-]+/g, '_') || 'survey';
    const name = `${base}${picked && resolved.missions.length > 1 ? `-flight-${picked.flight}` : ''}.${FORMATS[format].ext}`;
    return reply.type(FORMATS[format].type).header('content-disposition', `attachment; filename="${name}"`).send(text);
  }));

  app.get('/api/survey/zones', { config: { access: VIEWERS }, schema: { querystring: ZonesQuery } }, async (req, reply) => answer(reply, async () => {
    const { siteId } = req.query as { siteId?: string };
    await needSite(siteId);
    return { global: zoneSetView(await survey.getZones('global')), site: siteId ? zoneSetView(await survey.getZones({ siteId })) : null };
  }));

  /** Replaces the zones of one scope (all sites, or `siteId`) with those of an ED-269 file. */
  app.put('/api/survey/zones', { config: { access: PLANNERS }, bodyLimit: ZONE_BODY, schema: { body: ZonesBody } }, async (req, reply) => answer(reply, async () => {
    const body = req.body as ZonesBody;
    await needSite(body.siteId);
    const zones = readEd269(body.text);
    const set: ZoneSet = { scope: body.siteId ? { siteId: body.siteId } : 'global', fileName: body.fileName ?? null, uploadedAt: new Date().toISOString(), uploadedBy: req.user!.username, zones };
    await survey.putZones(set);
    await deps.audit.append({ actor: req.user!.username, action: 'survey.zones.set', target: body.siteId ?? 'global', details: { fileName: set.fileName, zones: zones.length } });
    return zoneSetView(set);
  }));

  /** Checks the mission, then uploads it to the vehicle through the site's agent (MAVLink mission protocol). */
  app.post('/api/sites/:siteId/vehicles/:systemId/mission', { config: { access: PLANNERS }, bodyLimit: FILE_BODY, schema: { params: VehicleParams, body: UploadBody } }, async (req, reply) => answer(reply, async () => {
    const { siteId, systemId } = req.params as { siteId: string; systemId: number };
    return missions.upload(req.user!.username, siteId, systemId, req.body as UploadBody);
  }));

  /** The vehicle's current mission, as JSON or as a .plan / WPL file. */
  app.get('/api/sites/:siteId/vehicles/:systemId/mission', { config: { access: PLANNERS }, schema: { params: VehicleParams, querystring: DownloadQuery } }, async (req, reply) => answer(reply, async () => {
    const { siteId, systemId } = req.params as { siteId: string; systemId: number };
    const { format = 'json' } = req.query as { format?: 'json' | 'plan' | 'waypoints' };
    const got = await missions.download(siteId, systemId);
    if (format === 'json') return got;
    const ext = FORMATS[format].ext;
    return reply.type(FORMATS[format].type).header('content-disposition', `attachment; filename="vehicle-${systemId}.${ext}"`)
      .send(writeMission(got.mission, format === 'plan' ? 'qgc-plan' : 'wpl'));
  }));
}
