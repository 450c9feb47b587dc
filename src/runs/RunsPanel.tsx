import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IExperiment, listExperiments } from '../api';
import { useChangeToken } from '../changes';
import { CommandIDs, MAX_COMPARE } from '../commandIds';
import { VirtualList } from '../components/VirtualList';
import { errorMessage } from '../format';
import { EmptyState } from '../sections/section';
import {
  defaultColumns,
  defaultWidth,
  isSortable,
  ITableLayout,
  loadLayout,
  NAME_COLUMN,
  saveLayout
} from './columns';
import { ColumnsMenu } from './ColumnsMenu';
import { ExperimentPicker } from './ExperimentPicker';
import { FilterBox } from './FilterBox';
import { RunListModel } from './model';
import { IColumnLayout, RUN_ROW_HEIGHT, RunRow, SELECT_WIDTH } from './RunRow';
import { TableHeader } from './TableHeader';

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

/**
 * The table layout of the shown experiment: its columns and widths as the
 * user left them (in localStorage, per experiment), and setters for both.
 */
function useTableLayout(experimentId: string | null): {
  layout: ITableLayout;
  setLayout(layout: ITableLayout, persist: boolean): void;
} {
  const cache = React.useRef(new Map<string, ITableLayout>());
  const [, rerender] = React.useReducer((n: number) => n + 1, 0);
  const key = experimentId ?? '';
  let layout = cache.current.get(key);
  if (layout === undefined) {
    layout = loadLayout(experimentId);
    cache.current.set(key, layout);
  }
  const setLayout = React.useCallback(
    (next: ITableLayout, persist: boolean) => {
      cache.current.set(key, next);
      if (persist) {
        saveLayout(experimentId, next);
      }
      rerender();
    },
    [experimentId, key]
  );
  return { layout, setLayout };
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

  // An experiment created by a notebook, a job or the CLI shows up by itself; the
  // runs shown change only when there were none to show (no experiment yet).
  useChangeToken('experiments', props.serverSettings, async () => {
    try {
      const found = await listExperiments(props.serverSettings);
      setExperiments(found);
      const current = model.experimentId;
      if (current === null || !found.some(e => e.experiment_id === current)) {
        const id = pickExperiment(
          found,
          picked.current,
          props.defaultExperiment
        );
        if (id !== null) {
          await model.setQuery(id, model.filter);
        }
      }
    } catch (reason) {
      setError(errorMessage(reason));
    }
  });

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

  // The whole panel follows the model: the table's hooks read its state.
  const [, modelChanged] = React.useReducer((n: number) => n + 1, 0);
  React.useEffect(() => {
    model.changed.connect(modelChanged);
    return () => {
      model.changed.disconnect(modelChanged);
    };
  }, [model]);

  const { layout, setLayout } = useTableLayout(model.experimentId);
  // Until the user picks, the columns follow the data; kept as one array
  // while they stay the same, so rows re-render only when they change.
  const defaults = JSON.stringify(defaultColumns(model.runs));
  const columns = React.useMemo<string[]>(
    () => layout.columns ?? JSON.parse(defaults),
    [layout.columns, defaults]
  );
  const rowLayout = React.useMemo<IColumnLayout>(() => {
    const widths: { [id: string]: number } = {};
    for (const id of [NAME_COLUMN, ...columns]) {
      widths[id] = layout.widths[id] ?? defaultWidth(id);
    }
    return { columns, widths };
  }, [columns, layout.widths]);
  const tableWidth =
    SELECT_WIDTH +
    Object.values(rowLayout.widths).reduce((sum, width) => sum + width, 0);

  const onSort = (column: string) => {
    if (!isSortable(column)) {
      return;
    }
    const current = model.sort;
    void model.setSort(
      current?.column !== column
        ? { column, descending: true }
        : current.descending
          ? { column, descending: false }
          : null
    );
  };
  const onResize = (column: string, width: number, done: boolean) =>
    setLayout(
      { ...layout, widths: { ...layout.widths, [column]: width } },
      done
    );

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
        <ColumnsMenu
          runs={runs}
          columns={columns}
          onChange={picked => {
            setLayout({ ...layout, columns: picked }, true);
            // A sort by a column no longer shown would be a mystery.
            const sorted = model.sort?.column;
            if (sorted && sorted !== NAME_COLUMN && !picked.includes(sorted)) {
              void model.setSort(null);
            }
          }}
          trans={trans}
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
          width={tableWidth}
          role="table"
          ariaLabel={trans.__('Runs')}
          header={
            <TableHeader
              columns={[NAME_COLUMN, ...columns]}
              widths={rowLayout.widths}
              sort={model.sort}
              onSort={onSort}
              onResize={onResize}
              trans={trans}
            />
          }
          renderRow={index => (
            <RunRow
              run={runs[index]}
              layout={rowLayout}
              selected={selected.has(runs[index].run_id)}
              onSelect={onSelect}
              onOpen={onOpen}
              trans={trans}
            />
          )}
          footer={
            model.loading && (
              <div className="jp-mlops-list-footer">{trans.__('Loading…')}</div>
            )
          }
        />
      )}
    </div>
  );
}
