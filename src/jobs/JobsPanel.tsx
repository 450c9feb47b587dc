import { TranslationBundle } from '@jupyterlab/translation';
import {
  refreshIcon,
  ToolbarButtonComponent,
  UseSignal
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IExecution, IExecutorFeatures } from '../api';
import { CommandIDs } from '../commandIds';
import { VirtualList } from '../components/VirtualList';
import { errorMessage } from '../format';
import { EmptyState } from '../sections/section';
import { DefinitionList } from './DefinitionList';
import {
  ExecutionRow,
  IExecutionActions,
  JOB_ROW_HEIGHT
} from './ExecutionRow';
import { JobListModel } from './model';
import { openJobOutput } from './output';

export interface IJobsPanelProps {
  model: JobListModel;
  commands: CommandRegistry;
  /** What the job executor can do; rows offer only that. */
  features: Readonly<IExecutorFeatures>;
  /** Hyperparameter searches, shown above the definitions. */
  searches?: React.ReactNode;
  trans: TranslationBundle;
}

/**
 * The Jobs section: scheduled definitions above the executions, newest
 * first, each with its live status and progress.
 */
export function JobsPanel(props: IJobsPanelProps): JSX.Element {
  const { model, commands, features, trans } = props;
  const [actionError, setActionError] = React.useState<string | null>(null);

  const actions = React.useMemo<IExecutionActions>(() => {
    const run = (what: Promise<unknown>) => {
      setActionError(null);
      what.catch(reason => setActionError(errorMessage(reason)));
    };
    return {
      cancel: execution => run(model.cancel(execution.id)),
      rerun: execution => run(model.rerun(execution.id)),
      openLog: execution =>
        run(
          commands.execute(CommandIDs.openJobLog, {
            executionId: execution.id
          })
        ),
      openOutput: (execution: IExecution) =>
        run(openJobOutput(commands, execution)),
      openRun: execution =>
        execution.mlflow_run_id &&
        run(
          commands.execute(CommandIDs.openRun, {
            runId: execution.mlflow_run_id
          })
        )
    };
  }, [model, commands]);

  return (
    <UseSignal signal={model.changed}>
      {() => {
        const { executions, definitions, pending } = model;
        const error = actionError ?? model.error;
        const empty =
          model.loaded && executions.length === 0 && definitions.length === 0;
        return (
          <div className="jp-mlops-jobs" data-mlops-panel="jobs">
            <div className="jp-mlops-toolbar">
              <span className="jp-mlops-job-count jp-mlops-muted">
                {model.loaded
                  ? trans._n('%1 execution', '%1 executions', executions.length)
                  : trans.__('Loading…')}
              </span>
              <ToolbarButtonComponent
                icon={refreshIcon}
                tooltip={trans.__('Reload jobs')}
                onClick={() => void model.reload()}
              />
            </div>
            {error !== null && (
              <div className="jp-mlops-error" role="alert">
                {error}
              </div>
            )}
            {empty && (
              <EmptyState section="jobs">
                {trans.__(
                  'Notebook training jobs (papermill), their schedules and executions will appear here. Right-click a notebook and choose %1 to start one.',
                  trans.__('Create Training Job')
                )}
              </EmptyState>
            )}
            {props.searches}
            {definitions.length > 0 && (
              <DefinitionList definitions={definitions} trans={trans} />
            )}
            {executions.length > 0 && (
              <>
                {definitions.length > 0 && (
                  <div className="jp-mlops-job-heading">
                    {trans.__('Executions')}
                  </div>
                )}
                <VirtualList
                  className="jp-mlops-job-list"
                  itemCount={executions.length}
                  rowHeight={JOB_ROW_HEIGHT}
                  rowKey={index => executions[index].id}
                  renderRow={index => (
                    <ExecutionRow
                      execution={executions[index]}
                      pending={pending.has(executions[index].id)}
                      actions={actions}
                      features={features}
                      trans={trans}
                    />
                  )}
                />
              </>
            )}
          </div>
        );
      }}
    </UseSignal>
  );
}
