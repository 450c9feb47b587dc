import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IComparison, IDiffRow } from '../api';
import { formatMetric } from '../format';

function Rows<T extends string | number>(props: {
  kind: 'param' | 'metric';
  title: string;
  rows: IDiffRow<T>[];
  runIds: string[];
  format(value: T): string;
  /** Tooltip of a cell whose run lacks the key (the cell itself is empty). */
  missing: string;
}): JSX.Element {
  return (
    <>
      <tr className="jp-mlops-diff-group">
        <th colSpan={props.runIds.length + 1}>{props.title}</th>
      </tr>
      {props.rows.map(row => (
        <tr
          key={row.key}
          className={row.differs ? 'jp-mlops-diff-differs' : undefined}
          data-kind={props.kind}
          data-key={row.key}
          data-differs={row.differs}
        >
          <th scope="row">{row.key}</th>
          {props.runIds.map(id => {
            const value = row.values[id];
            if (value === null || value === undefined) {
              return (
                <td
                  key={id}
                  className="jp-mlops-diff-missing"
                  title={props.missing}
                />
              );
            }
            return (
              <td key={id} title={String(value)}>
                {props.format(value)}
              </td>
            );
          })}
        </tr>
      ))}
    </>
  );
}

/**
 * Params and latest metrics side by side, one column per run; rows whose
 * values differ are highlighted, since those are what explain a result.
 */
export function DiffTable(props: {
  comparison: IComparison;
  trans: TranslationBundle;
}): JSX.Element {
  const { comparison, trans } = props;
  const runIds = comparison.runs.map(run => run.run_id);
  return (
    <table className="jp-mlops-diff">
      <thead>
        <tr>
          <th>{trans.__('Key')}</th>
          {comparison.runs.map(run => (
            <th key={run.run_id} title={run.run_id}>
              {run.run_name || run.run_id}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <Rows<string>
          kind="param"
          title={trans.__('Parameters')}
          rows={comparison.diff.params}
          runIds={runIds}
          format={String}
          missing={trans.__('Not logged by this run')}
        />
        <Rows<number>
          kind="metric"
          title={trans.__('Metrics (latest)')}
          rows={comparison.diff.metrics}
          runIds={runIds}
          format={formatMetric}
          missing={trans.__('Not logged by this run')}
        />
      </tbody>
    </table>
  );
}
