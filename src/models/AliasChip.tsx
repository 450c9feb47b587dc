import { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/** An alias label; with `onRemove`, an x button that deletes the alias. */
export function AliasChip(props: {
  alias: string;
  onRemove?: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { alias, trans } = props;
  return (
    <span className="jp-mlops-chip" data-alias={alias}>
      <span className="jp-mlops-chip-label">@{alias}</span>
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
