import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { columnLabel, isSortable, ISort, MIN_WIDTH } from './columns';
import { IColumnLayout, SELECT_WIDTH } from './RunRow';

export interface ITableHeaderProps {
  /** Every column after the selection cell, the name column first. */
  columns: ReadonlyArray<string>;
  widths: IColumnLayout['widths'];
  sort: ISort | null;
  /** A header was clicked: the panel cycles its sort. */
  onSort(column: string): void;
  /** A header edge was dragged to `width`; `done` once the drag ends. */
  onResize(column: string, width: number, done: boolean): void;
  trans: TranslationBundle;
}

/** The run table's header: click a column to sort, drag its right edge to resize. */
export function TableHeader(props: ITableHeaderProps): JSX.Element {
  const { sort, trans } = props;
  return (
    <div className="jp-mlops-runs-header" role="row">
      <div
        className="jp-mlops-runs-th jp-mlops-run-cell-select"
        style={{ width: SELECT_WIDTH }}
      />
      {props.columns.map(id => {
        const sortable = isSortable(id);
        const sorted = sort?.column === id ? sort : null;
        const label = columnLabel(id, trans);
        return (
          <div
            key={id}
            className="jp-mlops-runs-th"
            role="columnheader"
            data-column={id}
            aria-sort={
              sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none'
            }
            style={{ width: props.widths[id] }}
          >
            <button
              className="jp-mlops-runs-sort"
              disabled={!sortable}
              title={
                sortable
                  ? trans.__('Sort by %1 (on the server)', label)
                  : trans.__('MLflow cannot sort by %1', label)
              }
              onClick={() => props.onSort(id)}
            >
              <span className="jp-mlops-runs-th-label">{label}</span>
              {sorted && (
                <span className="jp-mlops-runs-sort-arrow" aria-hidden="true">
                  {sorted.descending ? '▼' : '▲'}
                </span>
              )}
            </button>
            <ResizeHandle
              width={props.widths[id]}
              onResize={(width, done) => props.onResize(id, width, done)}
              label={trans.__('Resize column %1', label)}
            />
          </div>
        );
      })}
    </div>
  );
}

/** A header cell's right edge: dragging it, or arrow keys, set the column's width. */
function ResizeHandle(props: {
  width: number;
  onResize(width: number, done: boolean): void;
  label: string;
}): JSX.Element {
  const drag = React.useRef<{ x: number; width: number } | null>(null);
  const widthAt = (clientX: number) =>
    drag.current
      ? Math.max(
          MIN_WIDTH,
          Math.round(drag.current.width + clientX - drag.current.x)
        )
      : props.width;
  return (
    <div
      className="jp-mlops-runs-resize"
      role="separator"
      aria-orientation="vertical"
      aria-label={props.label}
      aria-valuenow={props.width}
      tabIndex={0}
      onKeyDown={event => {
        // Arrow keys resize by 10px, for whoever does not drag.
        const step =
          event.key === 'ArrowRight' ? 10 : event.key === 'ArrowLeft' ? -10 : 0;
        if (step !== 0) {
          event.preventDefault();
          props.onResize(Math.max(MIN_WIDTH, props.width + step), true);
        }
      }}
      onPointerDown={event => {
        event.preventDefault();
        event.stopPropagation();
        event.currentTarget.setPointerCapture(event.pointerId);
        drag.current = { x: event.clientX, width: props.width };
      }}
      onPointerMove={event => {
        if (drag.current) {
          props.onResize(widthAt(event.clientX), false);
        }
      }}
      onPointerUp={event => {
        if (drag.current) {
          props.onResize(widthAt(event.clientX), true);
          drag.current = null;
        }
      }}
      onPointerCancel={() => {
        drag.current = null;
      }}
    />
  );
}
