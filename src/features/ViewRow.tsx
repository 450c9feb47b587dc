import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { featureTimeMs, IFeatureViewSummary } from '../api';
import { formatTime } from '../format';

/** Row height in px; the virtual list divides by it. Keep in step with the CSS. */
export const FEATURE_ROW_HEIGHT = 44;

/**
 * One feature view in the sidebar: its name (opens the view), version,
 * owner, feature count and freshness (the latest event ingested).
 */
function ViewRowImpl(props: {
  view: IFeatureViewSummary;
  onOpen(name: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { view, trans } = props;
  const lastEvent = featureTimeMs(view.last_event);
  return (
    <div
      className="jp-mlops-feature-row"
      data-view={view.name}
      title={view.description || undefined}
    >
      <div className="jp-mlops-feature-row-head">
        <button
          className="jp-mlops-link jp-mlops-feature-row-name"
          title={trans.__('Open feature view %1', view.name)}
          onClick={() => props.onOpen(view.name)}
        >
          {view.name}
        </button>
        <span className="jp-mlops-muted">{trans.__('v%1', view.version)}</span>
      </div>
      <div className="jp-mlops-feature-row-meta">
        {view.owner && (
          <span className="jp-mlops-feature-owner">{view.owner}</span>
        )}
        <span
          className="jp-mlops-feature-count"
          data-count={view.features.length}
          title={view.features.join(', ')}
        >
          {trans._n('%1 feature', '%1 features', view.features.length)}
        </span>
        <span
          className="jp-mlops-feature-freshness"
          title={
            lastEvent === null
              ? undefined
              : trans.__(
                  'Latest event %1 (%2 rows)',
                  formatTime(lastEvent),
                  view.rows
                )
          }
        >
          {lastEvent === null
            ? trans.__('no data')
            : trans.__('event %1', Time.formatHuman(new Date(lastEvent)))}
        </span>
      </div>
    </div>
  );
}

// Rows re-render only when their view object changes.
export const ViewRow = React.memo(ViewRowImpl);
