import * as React from 'react';

/**
 * A two-column table of key/value pairs, sorted by key. A null value (a
 * metric that was NaN or infinite) is shown empty.
 */
export function KeyValueTable(props: {
  kind: string;
  entries: Record<string, string | number | null>;
  format?: (value: string | number) => string;
  empty: string;
}): JSX.Element {
  const keys = Object.keys(props.entries).sort();
  if (keys.length === 0) {
    return <div className="jp-mlops-muted">{props.empty}</div>;
  }
  const format = props.format ?? String;
  return (
    <table className="jp-mlops-kv" data-kind={props.kind}>
      <tbody>
        {keys.map(key => {
          const value = props.entries[key];
          const shown = value === null ? '' : format(value);
          return (
            <tr key={key} data-key={key}>
              <th scope="row">{key}</th>
              <td title={value === null ? '' : String(value)}>{shown}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
