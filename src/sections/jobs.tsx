import { Notification } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { IExecution, IJobSubmission } from '../api';
import { CommandIDs } from '../commandIds';
import { MLOpsEvents } from '../events';
import { JobsPanel } from '../jobs/JobsPanel';
import { SearchList } from '../jobs/SearchList';
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
    this._model.finished.connect(this._onFinished, this);
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
    const { commands, status, serverSettings, trans } = this._context;
    return (
      <JobsPanel
        model={this._model}
        commands={commands}
        features={status.features}
        searches={
          <SearchList
            commands={commands}
            serverSettings={serverSettings}
            trans={trans}
          />
        }
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

  /** A job this Lab saw running has ended: say so wherever the user is. */
  private _onFinished(sender: JobListModel, execution: IExecution) {
    const { commands, trans } = this._context;
    const notebook = execution.spec.notebook;
    const name = notebook.split('/').pop() ?? notebook;
    const actions = [
      {
        label: trans.__('Open log'),
        callback: () =>
          void commands.execute(CommandIDs.openJobLog, {
            executionId: execution.id
          })
      }
    ];
    if (execution.status === 'succeeded') {
      Notification.success(trans.__('Job %1 succeeded', name), {
        autoClose: 8000,
        actions
      });
    } else if (execution.status === 'failed') {
      Notification.error(
        trans.__(
          'Job %1 failed: %2',
          name,
          execution.error
            ? `${execution.error.ename}: ${execution.error.evalue}`
            : ''
        ),
        { autoClose: false, actions }
      );
    } else {
      Notification.info(trans.__('Job %1: %2', name, execution.status), {
        autoClose: 8000,
        actions
      });
    }
  }

  private _model: JobListModel;
}

export const jobsSection: ISection = {
  id: 'jobs',
  title: trans => trans.__('Jobs'),
  weight: 3,
  create: context => new JobsSectionWidget(context)
};
