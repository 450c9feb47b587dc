import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ModelsPanel } from '../models/ModelsPanel';
import { ISection } from './section';

export const modelsSection: ISection = {
  id: 'models',
  title: trans => trans.__('Models'),
  weight: 2,
  create: ({ serverSettings, commands, events, trans }) =>
    ReactWidget.create(
      <ModelsPanel
        serverSettings={serverSettings}
        commands={commands}
        events={events}
        trans={trans}
      />
    )
};
