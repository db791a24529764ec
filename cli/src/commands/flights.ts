// `sargs flights summarize`: the logbook's view of tlogs on disk, so pilots can check old
// logs before bringing them in. Damaged files are read as far as they are valid.
import { closeSync, openSync, readSync } from 'node:fs';
import type { FlightSummary } from '@sargs/shared/mavlink/flights';
import type { TlogRecord, TlogWarning } from '@sargs/shared/mavlink/tlog';
import { Command } from 'commander';

/** Read in chunks: a long tlog can be hundreds of megabytes, and only the flights are kept. */
const CHUNK_BYTES = 4 * 1024 * 1024;

type FileFlight = { file: string } & FlightSummary;

interface FileRead {
  records: number;
  damage: TlogWarning[];
}

/**
 * Yields the records of a tlog file chunk by chunk; a record cut by a chunk boundary is
 * read whole with the next chunk. Damage offsets in `read` are file offsets.
 */
function* tlogFileRecords(path: string, readTlog: typeof import('@sargs/shared/mavlink/tlog').readTlog, read: FileRead): Generator<TlogRecord> {
  const fd = openSync(path, 'r');
  try {
    let base = 0;
    let pending = Buffer.alloc(0);
    for (;;) {
      // A fresh buffer each time: yielded records are views into it.
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      const final = n === 0;
      const buf = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      const offsetBase = base;
      const it = readTlog(buf, { final, onWarning: (w) => read.damage.push({ ...w, offset: w.offset + offsetBase }) });
      let r = it.next();
      for (; !r.done; r = it.next()) {
        read.records++;
        yield r.value;
      }
      if (final) return;
      pending = buf.subarray(r.value.consumed);
      base += r.value.consumed;
    }
  } finally {
    closeSync(fd);
  }
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function duration(s: number): string {
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return h > 0 ? `${h} h ${pad2(m)} min` : `${m} min ${pad2(total % 60)} s`;
}

function flightLines(f: FlightSummary, n: number): string[] {
  const start = f.start.slice(0, 19).replace('T', ' ');
  // The end's date only when the flight crosses midnight UTC.
  const end = f.end.slice(0, 10) === f.start.slice(0, 10) ? f.end.slice(11, 19) : f.end.slice(0, 19).replace('T', ' ');
  const battery = f.batteryUsedPercent === null ? 'unknown' : `${f.batteryUsedPercent} %`;
  return [
    `  ${n}. ${start} → ${end} UTC (${duration(f.durationS)}), ${f.vehicleType}, system ${f.systemId}, ${f.autopilot}`,
    `     distance ${Math.round(f.distanceM)} m, max height ${f.maxHeightM.toFixed(1)} m above home, ` +
      `max ground speed ${f.maxGroundSpeedMps.toFixed(1)} m/s, battery used ${battery}`,
  ];
}

export function flightsCommand(): Command {
  const flights = new Command('flights').description('drone flight logs (tlog files)');

  flights.command('summarize')
    .description('list the flights in tlog files with the logbook\'s summary; damaged files are read as far as they are valid')
    .argument('<files...>', 'tlog files (timestamped MAVLink, as QGroundControl and Mission Planner write them)')
    .option('--json', 'print one JSON array of flights')
    .action(async (files: string[], o: { json?: boolean }) => {
      // Loaded only when this command runs.
      const { findFlights, flightSummary, describeTlogDamage } = await import('@sargs/shared/mavlink/flights');
      const { readTlog } = await import('@sargs/shared/mavlink/tlog');
      const all: FileFlight[] = [];
      for (const file of files) {
        const read: FileRead = { records: 0, damage: [] };
        let result: ReturnType<typeof findFlights>;
        try {
          result = findFlights(tlogFileRecords(file, readTlog, read));
        } catch (err) {
          console.error(`sargs: ${file}: cannot read: ${(err as Error).message}`);
          process.exitCode = 1;
          continue;
        }
        if (read.records === 0) {
          console.error(`sargs: ${file}: no tlog records in it (a tlog is timestamped MAVLink frames)`);
          process.exitCode = 1;
          continue;
        }
        for (const w of [...describeTlogDamage(read.damage), ...result.warnings]) console.error(`sargs: ${file}: warning: ${w}`);
        const found = result.flights.map((f) => ({ file, ...flightSummary(f) }));
        all.push(...found);
        if (!o.json) {
          console.log(`${file}: ${found.length === 1 ? '1 flight' : `${found.length} flights`}`);
          found.forEach((f, i) => console.log(flightLines(f, i + 1).join('\n')));
        }
      }
      if (o.json) console.log(JSON.stringify(all, null, 2));
    });

  return flights;
}
