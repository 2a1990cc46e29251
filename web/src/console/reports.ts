// The Reports screen (admins): key figures, charts (Chart.js) and CSV exports over a range of local
// days in a time zone. Everything shown comes from GET /api/v1/reports/{name} (docs/reports.md).

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { common, reportsText as t } from '../shared/strings';
import type { Agent } from '../shared/types';
import { reportCsvUrl, type ConsoleApi, type Report, type ReportQuery } from './api';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

export const REPORT_NAMES = ['summary', 'conversations', 'revenue', 'attribution_window', 'links', 'response_times', 'bot', 'sla', 'csat'];
const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563', '#db2777'];

let charts: Chart[] = [];
let query: ReportQuery | null = null;

function isoDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return isoDate(d);
}

/** Decimal places of a currency's minor unit (from Intl; JPY 0, KWD 3; unknown codes 2). */
function exponent(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units -> "EUR 12.90". */
export function money(minor: number, currency: string): string {
  const digits = exponent(currency);
  return `${currency} ${(minor / 10 ** digits).toFixed(digits)}`;
}

function pct(v: unknown): string {
  return typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : t.none;
}

function figure(r: Report, metric: string, key = '', currency = ''): number | string | null | undefined {
  const row = r.rows.find((x) => x.metric === metric && (x.key ?? '') === key && (x.currency ?? '') === currency);
  return row ? row.value : undefined;
}

function tile(id: string, label: string, value: string, note?: string): HTMLElement {
  return el('div', { className: 'kpi', id: `kpi-${id}` }, el('span', { className: 'kpi-label' }, label),
    el('strong', { className: 'kpi-value' }, value), note ? el('span', { className: 'kpi-note' }, note) : null);
}

function table(id: string, caption: string, head: string[], rows: string[][]): HTMLElement {
  return el('table', { className: 'report-table', id },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}

function chartCanvas(id: string, title: string): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': title });
  const box = el('figure', { className: 'chart' }, el('figcaption', {}, title), el('div', { className: 'chart-area' }, canvas));
  return { box, canvas };
}

function senderLabel(row: Record<string, string | number | null>): string {
  if (row.breakdown === 'bot') return t.bot;
  if (row.breakdown === 'api') return t.api;
  return String(row.label ?? row.key ?? '');
}

export function renderReports(root: HTMLElement, api: ConsoleApi, me: Agent): void {
  for (const c of charts) c.destroy();
  charts = [];
  clear(root);
  root.appendChild(el('h1', { id: 'reports-heading' }, t.heading));
  if (me.role !== 'admin') {
    root.appendChild(el('p', { className: 'notice', id: 'reports-denied' }, t.adminOnly));
    return;
  }
  const from = el('input', { type: 'date', id: 'report-from', required: true });
  const to = el('input', { type: 'date', id: 'report-to', required: true });
  const tz = el('input', { type: 'text', id: 'report-tz', list: 'report-tz-list', autocomplete: 'off', spellcheck: 'false' });
  const zones = el('datalist', { id: 'report-tz-list' });
  const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  for (const z of supported ? supported('timeZone') : ['UTC', 'Europe/Rome', 'Europe/Berlin', 'Europe/Amsterdam'])
    zones.appendChild(el('option', { value: z }));
  from.value = query?.from ?? daysAgo(29);
  to.value = query?.to ?? daysAgo(0);
  tz.value = query?.tz ?? '';
  const status = el('p', { className: 'report-status', id: 'report-status', role: 'status' });
  const body = el('div', { className: 'report-body', id: 'report-body' });
  const form = el('form', { className: 'report-range', id: 'report-range' },
    el('label', { for: 'report-from' }, t.from), from,
    el('label', { for: 'report-to' }, t.to), to,
    el('label', { for: 'report-tz' }, t.timeZone), tz, zones,
    el('button', { type: 'submit', className: 'btn btn-primary', id: 'report-apply' }, t.apply),
    el('button', { type: 'button', className: 'btn btn-quiet', id: 'report-last7', onclick: () => { from.value = daysAgo(6); to.value = daysAgo(0); void load(); } }, t.last7),
    el('button', { type: 'button', className: 'btn btn-quiet', id: 'report-last30', onclick: () => { from.value = daysAgo(29); to.value = daysAgo(0); void load(); } }, t.last30),
    el('button', { type: 'button', className: 'btn btn-quiet', id: 'report-month', onclick: () => { const d = new Date(); d.setDate(1); from.value = isoDate(d); to.value = daysAgo(0); void load(); } }, t.thisMonth),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  root.append(form, status, body);

  if (!query?.tz)
    void api.reportSettings().then((s) => {
      if (!tz.value) tz.value = s.time_zone;
    }).catch(() => undefined);

  async function load(): Promise<void> {
    if (from.value > to.value) {
      status.textContent = t.rangeError;
      return;
    }
    query = { from: from.value, to: to.value, tz: tz.value.trim() || undefined };
    const q = query;
    status.textContent = t.loading;
    try {
      const [summary, conv, rev, csat, times] = await Promise.all([
        api.report('summary', q), api.report('conversations', q), api.report('revenue', q), api.report('csat', q),
        api.report('response_times', q),
      ]);
      status.textContent = '';
      // The zone the figures are in (the shop's when none was chosen): the CSV links name it.
      if (!tz.value) tz.value = summary.time_zone;
      query = { ...q, tz: summary.time_zone };
      show(summary, conv, rev, csat, times, query);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) status.textContent = t.adminOnly;
      else if (e instanceof ApiError && e.status === 0) status.textContent = common.networkError;
      else if (e instanceof ApiError && e.message) status.textContent = `${e.message}${e.field ? ` (${e.field})` : ''}`;
      else status.textContent = common.genericError;
    }
  }

  function show(summary: Report, conv: Report, rev: Report, csat: Report, times: Report, q: ReportQuery): void {
    for (const c of charts) c.destroy();
    charts = [];
    clear(body);
    const currencies = [...new Set(summary.rows.filter((r) => r.metric === 'revenue_net' && r.breakdown === 'total').map((r) => String(r.currency)))];
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    const secs = (v: unknown): string => (typeof v === 'number' ? t.seconds(v) : t.none);
    const net = currencies.map((c) => money(num(figure(summary, 'revenue_net', '', c)), c)).join(' · ') || t.none;
    const aov = currencies.map((c) => { const v = figure(summary, 'average_order_value', '', c); return typeof v === 'number' ? money(v, c) : t.none; }).join(' · ') || t.none;
    const windowRows = summary.rows.filter((r) => r.metric === 'window_revenue');
    const windowText = windowRows.map((r) => money(num(r.value), String(r.currency))).join(' · ') || t.none;
    body.appendChild(el('div', { className: 'kpis', id: 'report-kpis' },
      tile('conversations', t.conversations, String(num(figure(summary, 'conversations')))),
      tile('presale', t.presaleConversion, pct(figure(summary, 'presale_conversion_rate')),
        `${num(figure(summary, 'presale_converted'))} / ${num(figure(summary, 'presale_conversations'))}`),
      tile('revenue', t.revenueNet, net),
      tile('aov', t.averageOrder, aov),
      tile('first-response', t.firstResponse, `${secs(figure(summary, 'first_response_p50_s'))} / ${secs(figure(summary, 'first_response_p90_s'))}`),
      tile('resolution', t.resolution, `${secs(figure(summary, 'resolution_p50_s'))} / ${secs(figure(summary, 'resolution_p90_s'))}`),
      tile('containment', t.botContainment, pct(figure(summary, 'bot_containment_rate')),
        `${num(figure(summary, 'bot_contained'))} / ${num(figure(summary, 'bot_conversations'))}`),
      tile('false-answers', t.falseAnswers, pct(figure(summary, 'bot_false_answer_rate')),
        `${num(figure(summary, 'bot_false_answers'))} / ${num(figure(summary, 'bot_answered'))}`),
      tile('sla', t.slaBreaches, String(num(figure(summary, 'sla_breaches')))),
      tile('csat', t.csat, typeof figure(summary, 'csat_average') === 'number' ? `${figure(summary, 'csat_average')} / 5` : t.none,
        `${num(figure(summary, 'csat_responses'))} ${t.responses.toLowerCase()}`),
      tile('window', t.windowRevenue(summary.window_days), windowText),
      tile('carts', t.cartsRecovered,
        [String(num(figure(summary, 'carts_recovered'))),
          ...summary.rows.filter((r) => r.metric === 'recovered_revenue' && r.breakdown === 'total').map((r) => money(num(r.value), String(r.currency)))].join(' · '),
        `${num(figure(summary, 'carts_recovered'))} / ${num(figure(summary, 'cart_reminders'))}`),
    ));

    // Conversations per day, stacked by channel.
    const days = [...new Set(conv.rows.filter((r) => r.period !== 'total').map((r) => String(r.period)))];
    const channels = [...new Set(conv.rows.filter((r) => r.breakdown === 'channel').map((r) => String(r.key)))];
    const label = (key: string): string => String(conv.rows.find((r) => r.key === key)?.label ?? key);
    const c1 = chartCanvas('chart-conversations', t.conversationsChart);
    const c2 = chartCanvas('chart-revenue', t.revenueChart);
    const c3 = chartCanvas('chart-funnel', t.funnelChart);
    body.appendChild(el('div', { className: 'charts' }, c1.box, c2.box, c3.box));
    charts.push(new Chart(c1.canvas, {
      type: 'bar',
      data: {
        labels: days,
        datasets: channels.map((ch, i) => ({
          label: label(ch),
          backgroundColor: PALETTE[i % PALETTE.length],
          data: days.map((d) => num(conv.rows.find((r) => r.period === d && r.key === ch && r.breakdown === 'channel')?.conversations)),
        })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    }));
    charts.push(new Chart(c2.canvas, {
      type: 'line',
      data: {
        labels: days,
        datasets: currencies.map((cur, i) => ({
          label: cur,
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          data: days.map((d) => {
            const row = rev.rows.find((r) => r.period === d && r.breakdown === 'total' && r.currency === cur);
            return row ? num(row.net) / 10 ** exponent(cur) : 0;
          }),
        })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
    }));
    const stages = ['created', 'sent', 'opened', 'paid', 'expired'];
    charts.push(new Chart(c3.canvas, {
      type: 'bar',
      data: {
        labels: stages.map((s) => t.funnel[s] ?? s),
        datasets: [{ label: t.funnelChart, backgroundColor: PALETTE[0], data: stages.map((s) => num(figure(summary, `links_${s}`))) }],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    }));

    // Breakdowns: per channel, per sender (agent / bot / API), CSAT per agent.
    const total = (r: Record<string, string | number | null>): boolean => r.period === 'total';
    body.appendChild(table('report-by-channel', t.byChannel, [t.channel, t.conversations, t.presaleConversion],
      conv.rows.filter((r) => total(r) && r.breakdown === 'channel').map((r) => [String(r.label), String(r.conversations), pct(r.presale_conversion_rate)])));
    body.appendChild(table('report-by-sender', t.bySender, [t.sender, t.currency, t.payments, t.gross, t.refunds, t.net],
      rev.rows.filter((r) => total(r) && ['agent', 'bot', 'api'].includes(String(r.breakdown))).map((r) => [
        senderLabel(r), String(r.currency), String(r.payments), money(num(r.gross), String(r.currency)),
        money(num(r.refunds), String(r.currency)), money(num(r.net), String(r.currency))])));
    body.appendChild(table('report-by-responder', t.byResponder, [t.responder, t.count, 'p50', 'p90'],
      times.rows.filter((r) => total(r) && ['agent', 'bot', 'api'].includes(String(r.breakdown))).map((r) => [
        senderLabel(r), String(r.first_response_count), secs(r.first_response_p50_s), secs(r.first_response_p90_s)])));
    body.appendChild(table('report-csat-by-agent', t.byAgentCsat, [t.agent, t.responses, t.average],
      csat.rows.filter((r) => total(r) && (r.breakdown === 'agent' || r.breakdown === 'bot')).map((r) => [
        senderLabel(r), String(r.responses), r.average === null ? t.none : String(r.average)])));

    // CSV exports of every report for this range.
    body.appendChild(el('section', { className: 'report-downloads', 'aria-labelledby': 'report-downloads-heading' },
      el('h2', { id: 'report-downloads-heading' }, t.downloads),
      el('ul', {}, ...REPORT_NAMES.map((n) => el('li', {}, el('a', { href: reportCsvUrl(n, q), download: '', className: 'csv-link', 'data-report': n }, `${t.reportNames[n] ?? n} — ${t.download}`)))),
    ));
  }

  void load();
}
