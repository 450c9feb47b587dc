import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IFeatureViewDetail } from '../../api';
import { formatTime } from '../../format';

type Quality = IFeatureViewDetail['quality'];
type DeclaredRule = Quality['rules'][number];

/** A bound as the page writes it: a number, a time, a list of values. */
function bound(value: unknown): string {
  if (value === true || value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return `[${value.map(v => JSON.stringify(v)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${bound(v)}`)
      .join(', ');
  }
  return String(value);
}

/** `min 0`, `max_out_of_range 0.1 (allowed ["a"])`, `unique`. */
export function ruleText(rule: DeclaredRule): string {
  const range = rule.range ? ` (${bound(rule.range)})` : '';
  return `${rule.rule} ${bound(rule.bound)}`.trim() + range;
}

/** The rules declared on one column, for the schema table. */
export function ColumnRules(props: {
  rules: Quality['rules'];
  column: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { rules, column, trans } = props;
  const own = rules.filter(rule => rule.column === column);
  if (own.length === 0) {
    return null;
  }
  return (
    <ul className="jp-mlops-feature-rules">
      {own.map(rule => (
        <li
          key={`${rule.rule}-${rule.column}`}
          data-rule={rule.rule}
          data-severity={rule.severity}
        >
          {ruleText(rule)}
          {rule.severity === 'warn' ? ` (${trans.__('warning')})` : ''}
        </li>
      ))}
    </ul>
  );
}

/**
 * Every rule of the view's version (view-level ones, such as a unique key per
 * event time, included) with the newest checked batch's result of each.
 */
export function RulesTable(props: {
  quality: Quality;
  trans: TranslationBundle;
}): JSX.Element {
  const { quality, trans } = props;
  if (quality.rules.length === 0) {
    return (
      <p className="jp-mlops-muted">
        {trans.__(
          'No data rules: declare them with features.Rules on a Field or the view.'
        )}
      </p>
    );
  }
  const newest = quality.batches[0];
  const resultOf = (rule: DeclaredRule) =>
    newest?.results.find(r => r.rule === rule.rule && r.column === rule.column);
  return (
    <table className="jp-mlops-kv jp-mlops-feature-rules-table">
      <thead>
        <tr>
          <th>{trans.__('Column')}</th>
          <th>{trans.__('Rule')}</th>
          <th>{trans.__('Severity')}</th>
          <th>
            {newest
              ? trans.__('Batch %1', newest.batch)
              : trans.__('Newest batch')}
          </th>
        </tr>
      </thead>
      <tbody>
        {quality.rules.map(rule => {
          const result = resultOf(rule);
          return (
            <tr
              key={`${rule.rule}-${rule.column}`}
              data-rule={rule.rule}
              data-column={rule.column}
              data-passed={result ? String(result.passed) : ''}
            >
              <th scope="row">{rule.column}</th>
              <td>{ruleText(rule)}</td>
              <td>{rule.severity}</td>
              <td>
                {result === undefined
                  ? '—'
                  : `${result.passed ? trans.__('passed') : trans.__('failed')}` +
                    ` (${trans.__('observed')} ${bound(result.observed) || '—'})`}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Warn-severity rules that failed: the batch was written, with this said. */
export function RuleWarnings(props: {
  quality: Quality;
  trans: TranslationBundle;
}): JSX.Element {
  const { quality, trans } = props;
  if (quality.warnings.length === 0) {
    return (
      <p className="jp-mlops-muted jp-mlops-feature-no-warnings">
        {trans.__('No warnings in the batches shown.')}
      </p>
    );
  }
  return (
    <ul className="jp-mlops-feature-warnings">
      {quality.warnings.map(warning => (
        <li
          key={`${warning.batch}-${warning.rule}-${warning.column}`}
          data-batch={warning.batch}
          data-rule={warning.rule}
          data-column={warning.column}
        >
          {trans.__(
            'Batch %1 (%2): %3',
            warning.batch,
            formatTime(warning.ingested_at * 1000),
            warning.message
          )}
        </li>
      ))}
    </ul>
  );
}
