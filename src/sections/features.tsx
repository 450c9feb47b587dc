import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { FeaturesPanel } from '../features/FeaturesPanel';
import { ISection } from './section';

export const featuresSection: ISection = {
  id: 'features',
  title: trans => trans.__('Features'),
  weight: 3,
  create: ({ serverSettings, commands, trans }) => {
    const widget = ReactWidget.create(
      <FeaturesPanel
        serverSettings={serverSettings}
        commands={commands}
        trans={trans}
      />
    );
    widget.addClass('jp-mlops-features-section');
    return widget;
  }
};
