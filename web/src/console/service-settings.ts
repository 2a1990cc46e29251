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
const CHANNEL_TYPES = ['webchat', 'whatsapp', 'messenger', 'instagram', 'telegram', 'twilio', 'viber', 'wechat', 'email'];

interface TargetTable {
  table: HTMLTableElement;
  /** Per level: each target in seconds, or null when empty. */
  read: () => Record<string, Record<string, number | null>>;
  /** The first input holding something that is not a positive number of minutes. */
  firstInvalid: () => HTMLInputElement | undefined;
}

/** A table of SLA targets in minutes, one row per level (the API takes seconds). */
function targetTable(
  id: string,
  idPrefix: string,
  levels: readonly string[],
  policies: Record<string, Record<string, number | null>>,
  disabled: boolean,
  context: string,
): TargetTable {
  const inputs = new Map<string, HTMLInputElement>();
  const body = el('tbody');
  const levelName = (level: string): string => (level === 'default' ? t.slaDefault : (t.levels[level] ?? level));
  for (const level of levels) {
    const row = el('tr', { 'data-level': level }, el('th', { scope: 'row' }, levelName(level)));
    for (const target of TARGETS) {
      const secs = policies[level]?.[`${target}_seconds`] ?? null;
      const input = el('input', {
        id: `${idPrefix}-${level}-${target}`,
        type: 'number',
        min: '0.1',
        step: 'any',
        value: secs === null ? '' : String(Math.round((secs / 60) * 100) / 100),
        disabled,
        'aria-label': `${context ? `${context}, ` : ''}${levelName(level)}: ${t.targets[target] ?? target}`,
      });
      inputs.set(`${level}.${target}`, input);
      row.append(el('td', {}, input));
    }
    body.append(row);
  }
  const table = el(
    'table',
    { className: 'data-table', id },
    el('caption', { className: 'sr-only' }, context ? `${t.slaHeading}: ${context}` : t.slaHeading),
    el('thead', {}, el('tr', {}, el('td', {}), ...TARGETS.map((x) => el('th', { scope: 'col' }, t.targets[x] ?? x)))),
    body,
  );
  const minutes = (input: HTMLInputElement | undefined): number | null | undefined => {
    const raw = input?.value.trim() ?? '';
    if (raw === '') return null;
    const n = Number(raw);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  return {
    table,
    read: () => {
      const out: Record<string, Record<string, number | null>> = {};
      for (const level of levels) {
        const p: Record<string, number | null> = {};
        for (const target of TARGETS) {
          const m = minutes(inputs.get(`${level}.${target}`));
          p[`${target}_seconds`] = m === null || m === undefined ? null : Math.max(1, Math.round(m * 60));
        }
        out[level] = p;
      }
      return out;
    },
    firstInvalid: () => [...inputs.values()].find((i) => minutes(i) === undefined),
  };
}

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
  const mainTargets = targetTable('sla-table', 'svc-sla', ['default', ...LEVELS], s.sla.policies, !admin, '');
  // Per channel type: one table each for the channels that have policies; more can be added.
  const channelTables = new Map<string, TargetTable>();
  const channelBox = el('div', { id: 'sla-channels' });
  const addSelect = el('select', { id: 'svc-sla-add-channel', disabled: !admin });
  const addButton = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'svc-sla-add', disabled: !admin }, t.slaAdd);
  const channelName = (type: string): string => t.channelTypes[type] ?? type;
  const refreshAddChoices = (): void => {
    clear(addSelect);
    for (const type of CHANNEL_TYPES) if (!channelTables.has(type)) addSelect.append(el('option', { value: type }, channelName(type)));
    addSelect.disabled = !admin || !addSelect.options.length;
    addButton.disabled = addSelect.disabled;
  };
  const addChannel = (type: string, policies: Record<string, Record<string, number | null>>): void => {
    const table = targetTable(`sla-table-${type}`, `svc-sla-${type}`, [...LEVELS], policies, !admin, channelName(type));
    const remove = el('button', { type: 'button', className: 'btn btn-quiet btn-small', disabled: !admin }, t.slaRemoveChannel(channelName(type)));
    const box = el('section', { className: 'sla-channel', 'data-channel-type': type }, el('h4', {}, channelName(type)), table.table, remove);
    remove.addEventListener('click', () => {
      channelTables.delete(type);
      box.remove();
      refreshAddChoices();
      addSelect.focus();
    });
    channelTables.set(type, table);
    const next = [...channelBox.children].find((c) => CHANNEL_TYPES.indexOf((c as HTMLElement).dataset.channelType ?? '') > CHANNEL_TYPES.indexOf(type));
    channelBox.insertBefore(box, next ?? null);
    refreshAddChoices();
  };
  for (const [type, policies] of Object.entries(s.sla.channels ?? {})) addChannel(type, policies);
  refreshAddChoices();
  addButton.addEventListener('click', () => {
    const type = addSelect.value;
    if (!type || channelTables.has(type)) return;
    addChannel(type, {});
    channelBox.querySelector<HTMLInputElement>(`[data-channel-type="${type}"] input`)?.focus();
  });
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
    mainTargets.table,
    el('label', { className: 'toggle', for: 'svc-sla-bh' }, slaBh, el('span', {}, t.slaBusinessHours)),
    el('h3', {}, t.slaChannelsHeading),
    el('p', { className: 'hint' }, t.slaChannelsHint),
    channelBox,
    el('div', { className: 'field field-inline' }, el('label', { for: 'svc-sla-add-channel' }, t.slaAddChannel), addSelect, addButton),
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
    const policies = mainTargets.read();
    const channels: Record<string, Record<string, Record<string, number | null>>> = {};
    for (const [type, table] of channelTables) {
      // Only the levels with a target: an empty row is no policy (the level's targets apply).
      const set = Object.entries(table.read()).filter(([, p]) => Object.values(p).some((v) => v !== null));
      if (set.length) channels[type] = Object.fromEntries(set);
    }
    const bad = [mainTargets, ...channelTables.values()].map((x) => x.firstInvalid()).find((x) => x);
    if (bad) {
      status.textContent = t.badTarget;
      bad.focus();
      return;
    }
    const patch = {
      business_hours: {
        time_zone: zone.value.trim() || 'UTC',
        days,
        holidays: holidays.value.split(',').map((x) => x.trim()).filter((x) => x !== ''),
      },
      // The screen shows every policy the API takes: per level, the default, and per channel.
      sla: { business_hours: slaBh.checked, policies, channels },
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
