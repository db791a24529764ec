import uPlot from 'uplot';

/**
 * Height above home (left axis) and ground speed (right axis) over a flight, on uPlot:
 * a canvas chart that stays fast with the thousands of points a tlog gives, and whose
 * cursor reports the sample under it so the flight page can show that spot on the map.
 * uPlot sets sizes through element.style (allowed by the console's CSP); its stylesheet
 * is bundled into vendor.css.
 */

export interface ChartPoint {
  /** Milliseconds since the Unix epoch. */
  t: number;
  heightM: number;
  speedMps: number | null;
}

export interface AltitudeChart {
  destroy(): void;
}

const HEIGHT_PX = 260;

export function altitudeChart(el: HTMLElement, points: ChartPoint[], onCursor?: (index: number | null) => void): AltitudeChart {
  el.classList.add('altitude-chart');
  el.dataset.points = String(points.length);
  if (!points.length) {
    el.replaceChildren('No position samples in this flight.');
    return { destroy: () => undefined };
  }
  const data: uPlot.AlignedData = [
    points.map((p) => p.t / 1000),
    points.map((p) => p.heightM),
    points.map((p) => p.speedMps),
  ];
  const width = () => Math.max(320, el.clientWidth || 640);
  const opts: uPlot.Options = {
    width: width(),
    height: HEIGHT_PX,
    scales: { x: { time: true }, m: { auto: true }, mps: { auto: true } },
    series: [
      { label: 'Time' },
      { label: 'Height above home', scale: 'm', stroke: '#1565c0', width: 2, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} m`) },
      { label: 'Ground speed', scale: 'mps', stroke: '#c77700', width: 1, value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} m/s`) },
    ],
    axes: [
      {},
      { scale: 'm', label: 'm above home', values: (_u, ticks) => ticks.map((v) => `${v}`) },
      { scale: 'mps', side: 1, label: 'm/s', grid: { show: false } },
    ],
    hooks: onCursor ? { setCursor: [(u) => onCursor(u.cursor.idx ?? null)] } : {},
  };
  const plot = new uPlot(opts, data, el);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT_PX }));
  resize.observe(el);
  return {
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
