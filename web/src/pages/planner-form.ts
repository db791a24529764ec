import type { CameraPreset } from '@sargs/shared/survey/camera-presets';
import { h } from '../lib/dom';

/** The survey parameters as the hub's plan API takes them (hub/src/survey/survey-api.ts), without the area. */
export interface SurveyParamsInput {
  camera: string | { sensorWidthMm: number; sensorHeightMm: number; imageWidthPx: number; imageHeightPx: number; focalLengthMm: number };
  altitudeM?: number;
  gsdCm?: number;
  frontOverlapPct: number;
  sideOverlapPct: number;
  angleDeg?: number;
  speedMps?: number;
  turnaroundM?: number;
  enduranceMin?: number;
}

const CUSTOM = 'custom';
const CUSTOM_FIELDS: [keyof Extract<SurveyParamsInput['camera'], object>, string, string][] = [
  ['sensorWidthMm', 'Sensor width (mm)', '17.3'], ['sensorHeightMm', 'Sensor height (mm)', '13'],
  ['imageWidthPx', 'Image width (px)', '5280'], ['imageHeightPx', 'Image height (px)', '3956'], ['focalLengthMm', 'Focal length (mm)', '12.29'],
];

const numberInput = (name: string, value: string, attrs: Record<string, string> = {}) =>
  h('input', { name, type: 'number', step: 'any', value, ...attrs }) as HTMLInputElement;

/**
 * Camera and flight parameters. Every change calls `onChange`, so the plan follows the
 * parameters as they are typed; `read()` gives the values or says which one is missing.
 */
export class PlannerForm {
  readonly el: HTMLFormElement;
  private readonly camera: HTMLSelectElement;
  private readonly custom: HTMLElement;

  constructor(presets: readonly CameraPreset[], onChange: () => void) {
    this.camera = h('select', { name: 'camera' },
      ...presets.map((p) => h('option', { value: p.id }, p.name)), h('option', { value: CUSTOM }, 'Custom camera…')) as HTMLSelectElement;
    const preferred = presets.find((p) => p.id === 'dji-mavic-3-enterprise') ?? presets[0];
    if (preferred) this.camera.value = preferred.id;
    this.custom = h('fieldset', { class: 'custom-camera' }, h('legend', {}, 'Custom camera'),
      ...CUSTOM_FIELDS.map(([name, label, value]) => h('label', {}, label, numberInput(name, value, { min: '0' }))));
    this.el = h('form', { class: 'planner-params', 'data-testid': 'planner-params' },
      h('label', {}, 'Camera', this.camera),
      this.custom,
      h('label', {}, 'Set', h('select', { name: 'by' }, h('option', { value: 'gsd' }, 'ground sampling distance (cm/px)'), h('option', { value: 'altitude' }, 'altitude above take-off (m)'))),
      h('label', {}, 'Value', numberInput('target', '2.5', { min: '0' })),
      h('label', {}, 'Front overlap (%)', numberInput('frontOverlapPct', '75', { min: '0', max: '99' })),
      h('label', {}, 'Side overlap (%)', numberInput('sideOverlapPct', '65', { min: '0', max: '99' })),
      h('label', {}, 'Line direction (° from north, empty: automatic)', numberInput('angleDeg', '')),
      h('label', {}, 'Speed (m/s)', numberInput('speedMps', '8', { min: '0' })),
      h('label', {}, 'Turnaround distance (m)', numberInput('turnaroundM', '10', { min: '0' })),
      h('label', {}, 'Battery endurance (min, empty: one flight)', numberInput('enduranceMin', '', { min: '0' })),
    ) as HTMLFormElement;
    this.el.addEventListener('submit', (e) => e.preventDefault());
    this.el.addEventListener('input', () => { this.showCustom(); onChange(); });
    this.el.addEventListener('change', () => { this.showCustom(); onChange(); });
    this.showCustom();
  }

  private showCustom(): void {
    this.custom.hidden = this.camera.value !== CUSTOM;
  }

  private value(name: string): number | undefined {
    const raw = (this.el.elements.namedItem(name) as HTMLInputElement).value.trim();
    return raw === '' ? undefined : Number(raw);
  }

  /** The parameters, or the name of the first one that must be filled in. */
  read(): SurveyParamsInput | { missing: string } {
    let camera: SurveyParamsInput['camera'] = this.camera.value;
    if (camera === CUSTOM) {
      const spec: Record<string, number> = {};
      for (const [name, label] of CUSTOM_FIELDS) {
        const v = this.value(name);
        if (v === undefined) return { missing: label };
        spec[name] = v;
      }
      camera = spec as Extract<SurveyParamsInput['camera'], object>;
    }
    const target = this.value('target');
    const front = this.value('frontOverlapPct');
    const side = this.value('sideOverlapPct');
    if (target === undefined) return { missing: 'altitude or ground sampling distance' };
    if (front === undefined) return { missing: 'front overlap' };
    if (side === undefined) return { missing: 'side overlap' };
    const by = (this.el.elements.namedItem('by') as HTMLSelectElement).value;
    const optional = (name: 'angleDeg' | 'speedMps' | 'turnaroundM' | 'enduranceMin') => {
      const v = this.value(name);
      return v === undefined ? {} : { [name]: v };
    };
    return {
      camera, ...(by === 'altitude' ? { altitudeM: target } : { gsdCm: target }), frontOverlapPct: front, sideOverlapPct: side,
      ...optional('angleDeg'), ...optional('speedMps'), ...optional('turnaroundM'), ...optional('enduranceMin'),
    };
  }
}
