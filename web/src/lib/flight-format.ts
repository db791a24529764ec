import type { FlightView } from '@sargs/shared/protocol/index';

/** How the logbook and the flight page write a flight's figures, so both read alike. */

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh ? `${hh} h ${mm} min ${ss} s` : mm ? `${mm} min ${ss} s` : `${ss} s`;
}

export const metres = (m: number) => (Math.abs(m) >= 10_000 ? `${(m / 1000).toFixed(1)} km` : `${m.toFixed(1)} m`);
export const distance = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${m.toFixed(0)} m`);
export const speed = (mps: number) => `${mps.toFixed(1)} m/s`;
export const battery = (p: number | null) => (p === null ? '–' : `${p.toFixed(0)} %`);
export const when = (iso: string) => new Date(iso).toLocaleString();
export const vehicleName = (f: Pick<FlightView, 'vehicleType' | 'systemId'>) => `${f.vehicleType} · system ${f.systemId}`;
