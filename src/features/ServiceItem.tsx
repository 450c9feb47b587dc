import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IFeatureService } from '../api';
import { SnippetButton } from './SnippetButton';

/**
 * One feature service: the features it bundles (each `view:feature`, the
 * view a link to open it) and its training-set snippet.
 */
export function ServiceItem(props: {
  service: IFeatureService;
  commands: CommandRegistry;
  onOpenView(name: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { service, commands, trans } = props;
  return (
    <li className="jp-mlops-feature-service" data-service={service.name}>
      <div className="jp-mlops-feature-service-head">
        <span className="jp-mlops-feature-service-name">{service.name}</span>
        <span className="jp-mlops-muted">
          {trans.__('v%1', service.version)}
        </span>
        <span className="jp-mlops-muted">
          {trans._n('%1 reference', '%1 references', service.features.length)}
        </span>
      </div>
      {service.description && (
        <div className="jp-mlops-muted">{service.description}</div>
      )}
      <ul className="jp-mlops-feature-refs">
        {service.features.map(ref => {
          const [view, feature] = ref.split(':');
          return (
            <li key={ref} className="jp-mlops-feature-ref" data-ref={ref}>
              <button
                className="jp-mlops-link"
                title={trans.__('Open feature view %1', view)}
                onClick={() => props.onOpenView(view)}
              >
                {view}
              </button>
              {feature ? (
                <span>:{feature}</span>
              ) : (
                <span className="jp-mlops-muted">
                  {' '}
                  {trans.__('(all features)')}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <SnippetButton name={service.name} commands={commands} trans={trans} />
    </li>
  );
}
