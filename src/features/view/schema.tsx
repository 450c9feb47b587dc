import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  featureTimeMs,
  IFeatureViewDetail,
  IFeatureViewVersion
} from '../../api';
import { formatTime } from '../../format';
import { ColumnRules } from './rules';

/** The view's features at the version shown. */
export function SchemaTable(props: {
  detail: IFeatureViewDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { detail, trans } = props;
  return (
    <table className="jp-mlops-kv jp-mlops-feature-schema">
      <thead>
        <tr>
          <th>{trans.__('Feature')}</th>
          <th>{trans.__('Type')}</th>
          <th>{trans.__('Description')}</th>
          <th>{trans.__('Rules')}</th>
        </tr>
      </thead>
      <tbody>
        {detail.schema.map(field => (
          <tr
            key={field.name}
            data-feature={field.name}
            data-dtype={field.dtype}
          >
            <th scope="row">{field.name}</th>
            <td>{field.dtype}</td>
            <td>{field.description}</td>
            <td>
              <ColumnRules
                rules={detail.quality.rules}
                column={field.name}
                trans={trans}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What changed from `older` to `version`: fields added, removed, retyped. */
function schemaChanges(
  version: IFeatureViewVersion,
  older: IFeatureViewVersion | undefined,
  trans: TranslationBundle
): string {
  if (older === undefined) {
    return trans.__('first version');
  }
  const before = new Map(older.schema.map(f => [f.name, f]));
  const after = new Map(version.schema.map(f => [f.name, f]));
  const changes: string[] = [];
  for (const field of version.schema) {
    const old = before.get(field.name);
    if (old === undefined) {
      changes.push(`+${field.name}`);
    } else if (old.dtype !== field.dtype) {
      changes.push(`${field.name}: ${old.dtype} → ${field.dtype}`);
    }
  }
  for (const field of older.schema) {
    if (!after.has(field.name)) {
      changes.push(`−${field.name}`);
    }
  }
  return changes.length > 0
    ? changes.join(', ')
    : trans.__('same features (other settings changed)');
}

/** Every version, newest first; any other than the one shown opens on click. */
export function VersionHistory(props: {
  detail: IFeatureViewDetail;
  onShowVersion(version: number): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { detail, trans } = props;
  const { versions } = detail;
  return (
    <table className="jp-mlops-kv jp-mlops-feature-versions">
      <thead>
        <tr>
          <th>{trans.__('Version')}</th>
          <th>{trans.__('Registered')}</th>
          <th>{trans.__('Features')}</th>
          <th>{trans.__('Changes')}</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((version, index) => {
          const current = version.version === detail.version;
          return (
            <tr
              key={version.version}
              data-version={version.version}
              className={current ? 'jp-mlops-current' : undefined}
            >
              <th scope="row">
                {current ? (
                  trans.__('v%1 (shown)', version.version)
                ) : (
                  <button
                    className="jp-mlops-link"
                    title={trans.__('Show version %1', version.version)}
                    onClick={() => props.onShowVersion(version.version)}
                  >
                    {trans.__('v%1', version.version)}
                  </button>
                )}
              </th>
              <td>{formatTime(featureTimeMs(version.created_at))}</td>
              <td>{version.schema.map(f => f.name).join(', ')}</td>
              <td>{schemaChanges(version, versions[index + 1], trans)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
