import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * An alias label, with the version it points to when given (where several
 * versions are in view); with `onRemove`, an x button that deletes it.
 */
export function AliasChip(props: {
  alias: string;
  version?: string;
  onRemove?: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { alias, version, trans } = props;
  return (
    <span className="jp-mlops-chip" data-alias={alias}>
      <span className="jp-mlops-chip-label">
        {version === undefined
          ? `@${alias}`
          : trans.__('@%1 → v%2', alias, version)}
      </span>
      {props.onRemove && (
        <button
          className="jp-mlops-chip-remove"
          title={trans.__('Remove alias %1', alias)}
          aria-label={trans.__('Remove alias %1', alias)}
          onClick={props.onRemove}
        >
          <closeIcon.react tag="span" elementSize="small" />
        </button>
      )}
    </span>
  );
}
