import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { IJobSubmission } from '../api';
import { MLOpsEvents } from '../events';
import { JobsPanel } from '../jobs/JobsPanel';
import { JobListModel } from '../jobs/model';
import { IMLOpsConfig, MLOpsSettings } from '../settings';
import { ISection, ISectionContext } from './section';

/**
 * The Jobs section body. It owns the list model, tells it when the
 * section is on screen so the live refresh polls only then, and shows
 * what job forms submit at once.
 */
class JobsSectionWidget extends ReactWidget {
  constructor(private _context: ISectionContext) {
    super();
    this.addClass('jp-mlops-jobs-section');
    const { serverSettings, settings, events, status } = _context;
    this._model = new JobListModel({
      serverSettings,
      refreshInterval: settings.config.refreshInterval
    });
    settings.changed.connect(this._onSettingsChanged, this);
    events.jobSubmitted.connect(this._onJobSubmitted, this);
    // Rows offer cancel and the log only where the executor supports them.
    status.featuresChanged.connect(this.update, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._context.settings.changed.disconnect(this._onSettingsChanged, this);
    this._context.events.jobSubmitted.disconnect(this._onJobSubmitted, this);
    this._context.status.featuresChanged.disconnect(this.update, this);
    this._model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.setActive(this.isVisible);
  }

  protected render(): JSX.Element {
    const { commands, status, trans } = this._context;
    return (
      <JobsPanel
        model={this._model}
        commands={commands}
        features={status.features}
        trans={trans}
      />
    );
  }

  private _onSettingsChanged(sender: MLOpsSettings, config: IMLOpsConfig) {
    this._model.setInterval(config.refreshInterval);
  }

  private _onJobSubmitted(sender: MLOpsEvents, submission: IJobSubmission) {
    this._model.addSubmission(submission);
  }

  private _model: JobListModel;
}

export const jobsSection: ISection = {
  id: 'jobs',
  title: trans => trans.__('Jobs'),
  weight: 3,
  create: context => new JobsSectionWidget(context)
};
