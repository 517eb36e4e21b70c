// The dashboard's availability and capacity (SPEC §17): the overview's live region (capacity and the
// chart), the table of availability by a grouping and its CSV. Rendering is availability-page.ts's; the
// figures are the API's use cases (availability/reports.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { groupsCsvName, HISTORY_WINDOWS, parseAvailabilityWindow, type AvailabilityWindow, type HistoryWindow } from '../domain/availability.js';
import { parseGroupBy } from '../domain/grouping.js';
import { sendHtml, type UiOptions } from './context.js';
import { groupsRegion, overviewRegion, type GroupsView, type OverviewView } from './availability-page.js';
import { mustView } from './session.js';

const ChartQuery = Type.Object({ chart: Type.Optional(Type.String({ maxLength: 16 })) });
const TableQuery = Type.Object({ by: Type.Optional(Type.String({ maxLength: 128 })), window: Type.Optional(Type.String({ maxLength: 16 })) });
/** The table's grouping when none is chosen. */
export const DEFAULT_BY = 'meta.user';

/** The chart's window from the URL (anything else: 24 h). */
export const chartWindow = (raw: string | undefined): HistoryWindow => (raw === '7d' ? '7d' : '24h');

/** What the overview's live region shows. */
export async function overviewView(options: Pick<UiOptions, 'availability'>, chart: HistoryWindow): Promise<OverviewView> {
  const { ms, stepMs } = HISTORY_WINDOWS[chart];
  const [capacity, history] = await Promise.all([options.availability.capacity(), options.availability.history(chart, ms, stepMs)]);
  return { capacity, chart, history };
}

/** The table of a grouping: an unknown `by` or window is shown in the table's place, not as an error page. */
async function groupsView(options: Pick<UiOptions, 'availability'>, rawBy: string | undefined, rawWindow: string | undefined): Promise<GroupsView> {
  const by = (rawBy ?? '').trim() || DEFAULT_BY;
  const w = parseAvailabilityWindow(rawWindow || undefined);
  const window: AvailabilityWindow = w.ok ? w.value : '24h';
  const parsed = parseGroupBy(by);
  if (!w.ok || !parsed.ok) return { by, window, error: w.ok ? (parsed.ok ? null : parsed.error) : w.error, answer: null };
  return { by, window, error: null, answer: await options.availability.groups({ selector: [], q: null }, window, parsed.by) };
}

/** Registers the overview's region, the table and its CSV. */
export async function availabilityRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  app.get<{ Querystring: Static<typeof ChartQuery> }>('/fragments/overview', { schema: { querystring: ChartQuery, hide: true } }, async (request, reply) => {
    mustView(request);
    return sendHtml(reply, overviewRegion(await overviewView(options, chartWindow(request.query.chart))));
  });
  app.get<{ Querystring: Static<typeof TableQuery> }>('/fragments/availability', { schema: { querystring: TableQuery, hide: true } }, async (request, reply) => {
    mustView(request);
    return sendHtml(reply, groupsRegion(await groupsView(options, request.query.by, request.query.window)));
  });
  app.get<{ Querystring: Static<typeof TableQuery> }>('/availability.csv', { schema: { querystring: TableQuery, hide: true } }, async (request, reply) => {
    mustView(request);
    const v = await groupsView(options, request.query.by, request.query.window);
    if (v.answer === null) return reply.code(400).type('text/plain; charset=utf-8').send(`${v.error}\n`);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${groupsCsvName(v.window, v.by)}"`).header('cache-control', 'no-store').send(options.availability.groupsCsv(v.answer));
  });
}
