import { frameHeader, type FrameHeader } from '@sargs/shared/mavlink/tlog';
import { fromMissionItemInt, toMissionItemInt, type MissionItem } from '@sargs/shared/survey/mission-items';
import { common, MavLinkProtocolV1, MavLinkProtocolV2, minimal, x25crc, type MavLinkData, type MavLinkDataConstructor } from 'node-mavlink';


/** The mission-protocol messages both sides decode; everything else is ignored. */
const MESSAGES = {
  HEARTBEAT: minimal.Heartbeat,
  MISSION_COUNT: common.MissionCount,
  MISSION_REQUEST_LIST: common.MissionRequestList,
  MISSION_REQUEST: common.MissionRequest,
  MISSION_REQUEST_INT: common.MissionRequestInt,
  MISSION_ITEM: common.MissionItem,
  MISSION_ITEM_INT: common.MissionItemInt,
  MISSION_ACK: common.MissionAck,
} as const;
type Messages = typeof MESSAGES;
export type MissionMessageName = keyof Messages;
const BY_ID = new Map<number, [MissionMessageName, MavLinkDataConstructor<MavLinkData>]>(
  Object.entries(MESSAGES).map(([name, clazz]) => [clazz.MSG_ID, [name as MissionMessageName, clazz as MavLinkDataConstructor<MavLinkData>]]),
);

export type DecodedMessage = { [K in MissionMessageName]: { name: K; header: FrameHeader; msg: InstanceType<Messages[K]> } }[MissionMessageName];

const v1 = new MavLinkProtocolV1();
const v2 = new MavLinkProtocolV2();

/** Decodes one whole frame if it is a mission-protocol message with a good CRC; anything else gives undefined. */
export function decodeMissionFrame(raw: Buffer, header: FrameHeader = frameHeader(raw)): DecodedMessage | undefined {
  const known = BY_ID.get(header.msgid);
  if (!known) return undefined;
  const [name, clazz] = known;
  const headerBytes = header.version === 2 ? 10 : 6;
  const crcAt = headerBytes + header.len;
  if (raw.length < crcAt + 2) return undefined;
  // A relay may pass frames it could not check; a corrupted item must never be taken for a good one.
  if (x25crc(raw, 1, raw.length - crcAt, clazz.MAGIC_NUMBER) !== raw.readUInt16LE(crcAt)) return undefined;
  const protocol = header.version === 2 ? v2 : v1;
  return { name, header, msg: protocol.data(protocol.payload(raw), clazz) } as DecodedMessage;
}

/** Writes MAVLink 2 frames as one system/component, with its own sequence numbers. */
export class MavlinkWriter {
  private readonly protocol: MavLinkProtocolV2;
  private seq = 0;

  constructor(readonly systemId: number, readonly componentId: number) {
    this.protocol = new MavLinkProtocolV2(systemId, componentId);
  }

  encode(msg: MavLinkData): Buffer {
    const raw = this.protocol.serialize(msg, this.seq);
    this.seq = (this.seq + 1) & 0xff;
    return raw;
  }
}

/** Builds a message from its fields (node-mavlink's classes have only no-argument constructors). */
export function message<K extends MissionMessageName>(name: K, fields: Partial<InstanceType<Messages[K]>>): InstanceType<Messages[K]> {
  return Object.assign(new MESSAGES[name](), fields) as InstanceType<Messages[K]>;
}

export interface Target { targetSystem: number; targetComponent: number }

/** MISSION_ITEM_INT for item `seq` (positions scaled as the shared mission model says). */
export function itemIntMessage(item: MissionItem, seq: number, target: Target): common.MissionItemInt {
  return message('MISSION_ITEM_INT', { ...target, ...toMissionItemInt(item, seq), missionType: MAV_MISSION_TYPE_MISSION });
}

/** An item received from a vehicle; legacy MISSION_ITEM carries positions as float degrees, unscaled. */
export function itemFromMessage(msg: common.MissionItemInt | common.MissionItem, isInt: boolean): MissionItem {
  const item = fromMissionItemInt(msg);
  return isInt ? item : { ...item, lat: msg.x, lon: msg.y };
}

/** "MAV_MISSION_INVALID_PARAM1" for 6: the name a pilot can look up. */
export function missionResultName(result: number): string {
  const name = (common.MavMissionResult as unknown as Record<number, string | undefined>)[result];
  return name ? `MAV_MISSION_${name}` : `MAV_MISSION_RESULT ${result}`;
}

export const MAV_MISSION_ACCEPTED = 0;
export const MAV_MISSION_INVALID_SEQUENCE = 13;
export const MAV_MISSION_TYPE_MISSION = 0;
