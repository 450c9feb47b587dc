import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRunSummary } from '../api';
import { formatMetric, formatTime } from '../format';
import { cellValue, formatDuration, NAME_COLUMN, parseColumn } from './columns';
import { StatusDot } from './StatusDot';

/** Row height in px; the virtual list divides by it. Keep in step with the CSS. */
export const RUN_ROW_HEIGHT = 30;
/** Width in px of the first cell: selection checkbox and status dot. */
export const SELECT_WIDTH = 44;

/** The table's columns after the name, with their widths in px. */
export interface IColumnLayout {
  columns: ReadonlyArray<string>;
  /** Width of each column by id, the name column's included. */
  widths: { readonly [id: string]: number };
}

export interface IRunRowProps {
  run: IRunSummary;
  selected: boolean;
  layout: IColumnLayout;
  onSelect(runId: string, selected: boolean): void;
  onOpen(runId: string): void;
  trans: TranslationBundle;
}

/** A cell's text and the exact value for its tooltip. */
function cellText(run: IRunSummary, id: string): [string, string] {
  const value = cellValue(run, id);
  const { kind, key } = parseColumn(id);
  if (value === null) {
    return ['', ''];
  }
  if (kind === 'metric') {
    return [formatMetric(value as number), `${key} = ${value}`];
  }
  if (kind === 'attr' && key === 'start_time') {
    return [formatTime(value as number), formatTime(value as number)];
  }
  if (kind === 'attr' && key === 'duration') {
    return [formatDuration(value as number), `${value} ms`];
  }
  return [String(value), `${key} = ${value}`];
}

function cellClass(id: string): string {
  const { kind, key } = parseColumn(id);
  if (kind === 'metric') {
    return ' jp-mlops-run-metric jp-mlops-run-number';
  }
  if (kind === 'attr' && key === 'start_time') {
    return ' jp-mlops-run-time';
  }
  if (kind === 'attr' && key === 'duration') {
    return ' jp-mlops-run-number';
  }
  return '';
}

/**
 * One run in the sidebar table: checkbox and status, name, then the
 * picked columns (params, metrics, tags, attributes).
 */
function RunRowImpl(props: IRunRowProps): JSX.Element {
  const { run, selected, layout, trans } = props;
  const name = run.run_name || run.run_id;
  return (
    <div
      className={`jp-mlops-run-row${selected ? ' jp-mlops-selected' : ''}`}
      data-run-id={run.run_id}
      role="row"
      aria-selected={selected}
    >
      <div
        className="jp-mlops-run-cell jp-mlops-run-cell-select"
        style={{ width: SELECT_WIDTH }}
      >
        <input
          type="checkbox"
          className="jp-mlops-run-check"
          checked={selected}
          aria-label={trans.__('Select run %1', name)}
          onChange={event => props.onSelect(run.run_id, event.target.checked)}
        />
        <StatusDot status={run.status} trans={trans} />
      </div>
      <div
        className="jp-mlops-run-cell"
        role="cell"
        data-column={NAME_COLUMN}
        style={{ width: layout.widths[NAME_COLUMN] }}
      >
        <button
          className="jp-mlops-link jp-mlops-run-name"
          title={trans.__('Open run %1', run.run_id)}
          onClick={() => props.onOpen(run.run_id)}
        >
          {name}
        </button>
      </div>
      {layout.columns.map(id => {
        const [text, title] = cellText(run, id);
        return (
          <div
            key={id}
            className={`jp-mlops-run-cell${cellClass(id)}`}
            role="cell"
            data-column={id}
            title={title}
            style={{ width: layout.widths[id] }}
          >
            {text}
          </div>
        );
      })}
    </div>
  );
}

// Rows re-render only when their run object, selection or the columns
// change: a live refresh replaces just the rows it fetched.
export const RunRow = React.memo(RunRowImpl);
