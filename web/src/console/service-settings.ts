// Settings > Hours & SLAs: business hours (IANA zone, intervals per day, holidays), SLA targets per
// level, automatic assignment and the after-hours auto-reply (PATCH /api/v1/service/settings,
// docs/service.md). Targets are entered in minutes; the API takes seconds.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { adminText as t, common } from '../shared/strings';
import type { Agent } from '../shared/types';
import type { ConsoleApi } from './api';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const LEVELS = ['urgent', 'high', 'normal', 'low'] as const;
const TARGETS = ['first_response', 'next_response', 'resolution'] as const;

export interface ServiceSettings {
  business_hours: { time_zone: string; days: Record<string, [string, string][] | null>; holidays: string[] };
  business_hours_configured: boolean;
  sla: { business_hours: boolean; policies: Record<string, Record<string, number | null>>; channels?: Record<string, Record<string, Record<string, number | null>>> };
  assignment: { mode: string; default_capacity: number };
  after_hours: { enabled: boolean; message: string | null };
}

/** "09:00-13:00, 14:00-18:00" -> [["09:00","13:00"],["14:00","18:00"]]; "" -> null; bad -> undefined. */
export function parseIntervals(text: string): [string, string][] | null | undefined {
  const s = text.trim();
  if (!s) return null;
  const out: [string, string][] = [];
  for (const part of s.split(',')) {
    const m = /^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/.exec(part);
    if (!m || !m[1] || !m[2]) return undefined;
    out.push([m[1], m[2]]);
  }
  return out;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return common.networkError;
    if (e.status === 403) return t.adminOnly;
    return `${e.message}${e.field ? ` (${e.field})` : ''}`;
  }
  return common.genericError;
}

export async function serviceTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const status = el('p', { className: 'form-error', role: 'alert', id: 'service-error' });
  const saved = el('p', { className: 'result', role: 'status', id: 'service-saved' });
  let s: ServiceSettings;
  try {
    s = await api.getServiceSettings();
  } catch (e) {
    body.append(status);
    status.textContent = errorText(e);
    return;
  }
  const admin = agent.role === 'admin';
  const field = (id: string, label: string, input: HTMLElement): HTMLElement => el('div', { className: 'field' }, el('label', { for: id }, label), input);

  const zone = el('input', { id: 'svc-zone', value: s.business_hours.time_zone, autocomplete: 'off', disabled: !admin });
  const dayInputs = DAYS.map((d, i) => {
    const v = s.business_hours.days[d];
    const input = el('input', { id: `svc-day-${d}`, value: v ? v.map(([a, b]) => `${a}-${b}`).join(', ') : '', autocomplete: 'off', disabled: !admin, placeholder: '09:00-18:00' });
    return { d, name: t.weekdays[i] ?? d, input };
  });
  const holidays = el('input', { id: 'svc-holidays', value: s.business_hours.holidays.join(', '), autocomplete: 'off', disabled: !admin });
  const slaBh = el('input', { type: 'checkbox', id: 'svc-sla-bh', disabled: !admin });
  slaBh.checked = s.sla.business_hours;
  const targetInputs = new Map<string, HTMLInputElement>();
  const slaBody = el('tbody');
  for (const level of LEVELS) {
    const row = el('tr', {}, el('th', { scope: 'row' }, t.levels[level] ?? level));
    for (const target of TARGETS) {
      const secs = s.sla.policies[level]?.[`${target}_seconds`] ?? null;
      const id = `svc-sla-${level}-${target}`;
      const input = el('input', {
        id,
        type: 'number',
        min: '0.1',
        step: 'any',
        value: secs === null ? '' : String(Math.round((secs / 60) * 100) / 100),
        disabled: !admin,
        'aria-label': `${t.levels[level] ?? level}: ${t.targets[target] ?? target}`,
      });
      targetInputs.set(`${level}.${target}`, input);
      row.append(el('td', {}, input));
    }
    slaBody.append(row);
  }
  const slaTable = el(
    'table',
    { className: 'data-table', id: 'sla-table' },
    el('caption', { className: 'sr-only' }, t.slaHeading),
    el('thead', {}, el('tr', {}, el('td', {}), ...TARGETS.map((x) => el('th', { scope: 'col' }, t.targets[x] ?? x)))),
    slaBody,
  );
  const mode = el('select', { id: 'svc-assign-mode', disabled: !admin });
  for (const m of ['off', 'round_robin', 'least_loaded']) mode.append(el('option', { value: m }, t.assignmentModes[m] ?? m));
  mode.value = s.assignment.mode;
  const capacity = el('input', { id: 'svc-capacity', type: 'number', min: '1', max: '1000', value: String(s.assignment.default_capacity), disabled: !admin });
  const afterHours = el('input', { type: 'checkbox', id: 'svc-after-hours', disabled: !admin });
  afterHours.checked = s.after_hours.enabled;
  const save = el('button', { type: 'submit', className: 'btn btn-primary', id: 'svc-save', disabled: !admin }, t.saveService);

  const form = el(
    'form',
    { className: 'settings-form', id: 'service-form', 'aria-label': t.serviceTab },
    el('h2', {}, t.openingHours),
    field('svc-zone', t.timeZone, zone),
    el('p', { className: 'hint' }, t.hoursHint),
    ...dayInputs.map(({ d, name, input }) => field(`svc-day-${d}`, name, input)),
    field('svc-holidays', t.holidays, holidays),
    el('h2', {}, t.slaHeading),
    slaTable,
    el('label', { className: 'toggle', for: 'svc-sla-bh' }, slaBh, el('span', {}, t.slaBusinessHours)),
    el('h2', {}, t.assignmentHeading),
    field('svc-assign-mode', t.assignmentHeading, mode),
    field('svc-capacity', t.defaultCapacity, capacity),
    el('label', { className: 'toggle', for: 'svc-after-hours' }, afterHours, el('span', {}, t.afterHours)),
    el('div', { className: 'form-actions' }, save),
    status,
    saved,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    status.textContent = '';
    saved.textContent = '';
    const days: Record<string, [string, string][] | null> = {};
    for (const { d, name, input } of dayInputs) {
      const v = parseIntervals(input.value);
      if (v === undefined) {
        status.textContent = t.badInterval(name);
        input.focus();
        return;
      }
      days[d] = v;
    }
    const policies: Record<string, Record<string, number | null>> = {};
    for (const level of LEVELS) {
      policies[level] = {};
      for (const target of TARGETS) {
        const raw = targetInputs.get(`${level}.${target}`)?.value.trim() ?? '';
        (policies[level] as Record<string, number | null>)[`${target}_seconds`] = raw === '' ? null : Math.round(Number(raw) * 60);
      }
    }
    const patch = {
      business_hours: {
        time_zone: zone.value.trim() || 'UTC',
        days,
        holidays: holidays.value.split(',').map((x) => x.trim()).filter((x) => x !== ''),
      },
      // The screen edits the per-level policies; the default and the per-channel policies (set
      // through the API) are kept as they are.
      sla: { ...s.sla, business_hours: slaBh.checked, policies: { ...s.sla.policies, ...policies } },
      assignment: { mode: mode.value, default_capacity: Number(capacity.value) || 5 },
      after_hours: { enabled: afterHours.checked },
    };
    save.disabled = true;
    api
      .patchServiceSettings(patch)
      .then(() => {
        saved.textContent = t.serviceSaved;
      })
      .catch((e: unknown) => {
        status.textContent = errorText(e);
      })
      .finally(() => {
        save.disabled = false;
      });
  });
  clear(body);
  if (!admin) body.append(el('p', { className: 'hint' }, t.readOnly));
  body.append(form);
}
