import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  refreshIcon,
  ToolbarButtonComponent,
  UseSignal
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IExperiment, listExperiments } from '../api';
import { CommandIDs, MAX_COMPARE } from '../commandIds';
import { VirtualList } from '../components/VirtualList';
import { errorMessage } from '../format';
import { EmptyState } from '../sections/section';
import { ExperimentPicker } from './ExperimentPicker';
import { FilterBox } from './FilterBox';
import { RunListModel } from './model';
import { RUN_ROW_HEIGHT, RunRow } from './RunRow';

/** Start fetching the next page this many rows before the end. */
const PREFETCH_ROWS = 30;

export interface IRunsPanelProps {
  model: RunListModel;
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  /** Name of the experiment to show first (the `defaultExperiment` setting). */
  defaultExperiment: string;
  trans: TranslationBundle;
}

/**
 * The experiment to list: the user's own pick while it exists, else the
 * default experiment by name, else the first one.
 */
function pickExperiment(
  experiments: ReadonlyArray<IExperiment>,
  picked: string | null,
  defaultName: string
): string | null {
  const byId = experiments.find(e => e.experiment_id === picked);
  const byName = experiments.find(e => e.name === defaultName);
  return (byId ?? byName ?? experiments[0])?.experiment_id ?? null;
}

export function RunsPanel(props: IRunsPanelProps): JSX.Element {
  const { model, commands, trans } = props;
  const [experiments, setExperiments] = React.useState<IExperiment[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  // Set once the user picks an experiment; until then the setting decides.
  const picked = React.useRef<string | null>(null);

  const reload = React.useCallback(async () => {
    try {
      const found = await listExperiments(props.serverSettings);
      setExperiments(found);
      setError(null);
      const id = pickExperiment(found, picked.current, props.defaultExperiment);
      if (id !== null) {
        await model.setQuery(id, model.filter);
      }
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [model, props.serverSettings, props.defaultExperiment]);

  React.useEffect(() => {
    void reload();
  }, [reload]);

  const onRangeChange = React.useCallback(
    (start: number, end: number) => {
      if (model.hasMore && end >= model.runs.length - PREFETCH_ROWS) {
        void model.loadMore();
      }
    },
    [model]
  );
  const onSelect = React.useCallback(
    (runId: string, selected: boolean) => model.setSelected(runId, selected),
    [model]
  );
  const onOpen = React.useCallback(
    (runId: string) => void commands.execute(CommandIDs.openRun, { runId }),
    [commands]
  );

  return (
    <UseSignal signal={model.changed}>
      {() => {
        const { runs, selected } = model;
        const canCompare = selected.size >= 2 && selected.size <= MAX_COMPARE;
        const empty = runs.length === 0 && (model.loaded || error !== null);
        return (
          <div className="jp-mlops-runs" data-mlops-panel="runs">
            <div className="jp-mlops-toolbar">
              <ExperimentPicker
                experiments={experiments}
                value={model.experimentId}
                onChange={id => {
                  picked.current = id;
                  void model.setQuery(id, model.filter);
                }}
                trans={trans}
              />
              <ToolbarButtonComponent
                icon={refreshIcon}
                tooltip={trans.__('Reload experiments and runs')}
                onClick={() => void reload()}
              />
              <Button
                className="jp-mlops-compare-button"
                small
                disabled={!canCompare}
                title={
                  selected.size > MAX_COMPARE
                    ? trans.__('Select at most %1 runs to compare', MAX_COMPARE)
                    : trans.__('Compare the selected runs')
                }
                onClick={() =>
                  void commands.execute(CommandIDs.compareRuns, {
                    runIds: [...selected]
                  })
                }
              >
                {trans.__('Compare (%1)', selected.size)}
              </Button>
            </div>
            <FilterBox
              value={model.filter}
              error={model.filterError}
              onApply={filter =>
                model.experimentId !== null &&
                void model.setQuery(model.experimentId, filter)
              }
              trans={trans}
            />
            {(error ?? model.error) !== null && (
              <div className="jp-mlops-error" role="alert">
                {error ?? model.error}
              </div>
            )}
            {empty && model.filter !== '' && model.filterError === null && (
              <div className="jp-mlops-empty">
                {trans.__('No runs match this filter.')}
              </div>
            )}
            {empty && model.filter === '' && (
              <EmptyState section="runs">
                {/* The magic's name goes in as an argument: gettext would read "%%" as an escaped "%". */}
                {trans.__(
                  'MLflow experiments and runs (logged from %1, jobs or plain mlflow) will appear here.',
                  '%%track'
                )}
              </EmptyState>
            )}
            {!empty && (
              <VirtualList
                className="jp-mlops-run-list"
                itemCount={runs.length}
                rowHeight={RUN_ROW_HEIGHT}
                rowKey={index => runs[index].run_id}
                onRangeChange={onRangeChange}
                renderRow={index => (
                  <RunRow
                    run={runs[index]}
                    selected={selected.has(runs[index].run_id)}
                    onSelect={onSelect}
                    onOpen={onOpen}
                    trans={trans}
                  />
                )}
                footer={
                  model.loading && (
                    <div className="jp-mlops-list-footer">
                      {trans.__('Loading…')}
                    </div>
                  )
                }
              />
            )}
          </div>
        );
      }}
    </UseSignal>
  );
}
