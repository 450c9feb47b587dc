import { TranslationBundle } from '@jupyterlab/translation';

import { IRunSummary } from '../api';

/**
 * The run table's columns: which exist, how each reads a run, how the
 * server sorts by it, and the per-experiment choice kept in localStorage.
 *
 * A column id is `attr:<name>` for a run attribute or `metric:<key>`,
 * `param:<key>`, `tag:<key>` for a run's data.
 */

export type ColumnKind = 'attr' | 'metric' | 'param' | 'tag';

/** The run attributes a column can show. */
export const ATTRIBUTES = ['start_time', 'duration', 'status'] as const;

/** The always-present name column (sortable, resizable, not pickable). */
export const NAME_COLUMN = 'attr:run_name';

export interface IColumn {
  id: string;
  kind: ColumnKind;
  key: string;
}

export function parseColumn(id: string): IColumn {
  const at = id.indexOf(':');
  return {
    id,
    kind: id.slice(0, at) as ColumnKind,
    key: id.slice(at + 1)
  };
}

export function columnId(kind: ColumnKind, key: string): string {
  return `${kind}:${key}`;
}

/** A column's header text. */
export function columnLabel(id: string, trans: TranslationBundle): string {
  const { kind, key } = parseColumn(id);
  if (kind !== 'attr') {
    return key;
  }
  switch (key) {
    case 'run_name':
      return trans.__('Name');
    case 'start_time':
      return trans.__('Started');
    case 'duration':
      return trans.__('Duration');
    case 'status':
      return trans.__('Status');
    default:
      return key;
  }
}

/** A sort: the column and its direction. */
export interface ISort {
  column: string;
  descending: boolean;
}

/** MLflow's run attributes that `order_by` accepts, by column key. */
const SORTABLE_ATTRIBUTES = new Set(['run_name', 'start_time', 'status']);

const ORDER_PREFIX: { [kind in ColumnKind]: string } = {
  attr: 'attributes',
  metric: 'metrics',
  param: 'params',
  tag: 'tags'
};

/** Whether the server can sort by the column (MLflow has no duration key). */
export function isSortable(id: string): boolean {
  const { kind, key } = parseColumn(id);
  return kind !== 'attr' || SORTABLE_ATTRIBUTES.has(key);
}

/**
 * The MLflow `order_by` clause of a sort, e.g. ``metrics.`val acc` DESC``;
 * keys other than plain words are backquoted.
 */
export function orderByClause(sort: ISort): string {
  const { kind, key } = parseColumn(sort.column);
  const name = /^\w+$/.test(key) ? key : `\`${key.replace(/`/g, '')}\``;
  return `${ORDER_PREFIX[kind]}.${name} ${sort.descending ? 'DESC' : 'ASC'}`;
}

/** A run's raw value in a column: a number, a string or null when missing. */
export function cellValue(
  run: IRunSummary,
  id: string
): number | string | null {
  const { kind, key } = parseColumn(id);
  switch (kind) {
    case 'metric':
      return run.metrics[key] ?? null;
    case 'param':
      return run.params[key] ?? null;
    case 'tag':
      return run.tags[key] ?? null;
    default:
      break;
  }
  switch (key) {
    case 'run_name':
      return run.run_name ?? null;
    case 'start_time':
      return run.start_time ?? null;
    case 'status':
      return run.status;
    case 'duration':
      return run.start_time !== null &&
        run.start_time !== undefined &&
        run.end_time !== null &&
        run.end_time !== undefined
        ? run.end_time - run.start_time
        : null;
    default:
      return null;
  }
}

/** A duration in ms, short: `850ms`, `12.3s`, `4m 05s`, `2h 03m`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return '';
  }
  if (ms < 1000) {
    return `${ms}ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(1)}s`;
  }
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  }
  return `${Math.floor(seconds / 3600)}h ${pad((seconds % 3600) / 60)}m`;
}

/**
 * Order two runs as the server does for `sort` (missing values last in
 * either direction, then newest start first, then run id), so live
 * updates insert new runs where a refetch would put them.
 */
export function runComparator(
  sort: ISort | null
): (a: IRunSummary, b: IRunSummary) => number {
  const fallback = (a: IRunSummary, b: IRunSummary) =>
    (b.start_time ?? 0) - (a.start_time ?? 0) ||
    (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0);
  if (sort === null) {
    return fallback;
  }
  return (a, b) => {
    const x = cellValue(a, sort.column);
    const y = cellValue(b, sort.column);
    if (x === null || y === null) {
      return x === y ? fallback(a, b) : x === null ? 1 : -1;
    }
    const order = x < y ? -1 : x > y ? 1 : 0;
    return (sort.descending ? -order : order) || fallback(a, b);
  };
}

/** Every key of `kind` that the loaded runs hold, sorted. */
export function availableKeys(
  runs: ReadonlyArray<IRunSummary>,
  kind: 'metric' | 'param' | 'tag'
): string[] {
  const keys = new Set<string>();
  for (const run of runs) {
    const found =
      kind === 'metric'
        ? run.metrics
        : kind === 'param'
          ? run.params
          : run.tags;
    for (const key in found) {
      keys.add(key);
    }
  }
  return [...keys].sort();
}

/** Columns before the user picks any: start time and the first two metrics. */
export function defaultColumns(runs: ReadonlyArray<IRunSummary>): string[] {
  const metrics = availableKeys(runs.slice(0, 100), 'metric').slice(0, 2);
  return ['attr:start_time', ...metrics.map(key => columnId('metric', key))];
}

/** Width in px of a column nobody resized. */
export function defaultWidth(id: string): number {
  if (id === NAME_COLUMN) {
    return 160;
  }
  return id === 'attr:start_time' ? 130 : 80;
}

export const MIN_WIDTH = 40;

/** What the table remembers per experiment. */
export interface ITableLayout {
  /** Picked columns, in order; null until the user picks. */
  columns: string[] | null;
  /** Widths in px of resized columns. */
  widths: { [id: string]: number };
}

const STORAGE_PREFIX = 'jupyter-mlops:runs-table:';

export function loadLayout(experimentId: string | null): ITableLayout {
  const empty: ITableLayout = { columns: null, widths: {} };
  if (experimentId === null) {
    return empty;
  }
  try {
    const text = window.localStorage.getItem(STORAGE_PREFIX + experimentId);
    if (!text) {
      return empty;
    }
    const saved = JSON.parse(text);
    return {
      columns: Array.isArray(saved.columns)
        ? saved.columns.filter((id: unknown) => typeof id === 'string')
        : null,
      widths:
        saved.widths && typeof saved.widths === 'object' ? saved.widths : {}
    };
  } catch {
    // Storage off or a value written by hand: start from the defaults.
    return empty;
  }
}

export function saveLayout(
  experimentId: string | null,
  layout: ITableLayout
): void {
  if (experimentId === null) {
    return;
  }
  try {
    window.localStorage.setItem(
      STORAGE_PREFIX + experimentId,
      JSON.stringify(layout)
    );
  } catch {
    // A full or disabled storage only loses the layout.
  }
}
