import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJobParameter } from '../../api';
import { IFieldError } from './errors';
import { Field } from './Field';

/** How one parameter takes part in a search. */
export interface ISearchDimension {
  mode: 'fixed' | 'range' | 'choices';
  low: string;
  high: string;
  log: boolean;
  /** Comma-separated; each parsed as JSON when it parses (numbers, true, "a"). */
  choices: string;
}

/** The Search fieldset's state: off, or a search's settings and space. */
export interface ISearchFields {
  enabled: boolean;
  metric: string;
  direction: 'minimize' | 'maximize';
  sampler: 'tpe' | 'random' | 'grid' | 'cmaes';
  pruner: 'median' | 'hyperband' | 'none';
  trials: string;
  parallel: string;
  dimensions: Record<string, ISearchDimension>;
}

export function emptySearch(): ISearchFields {
  return {
    enabled: false,
    metric: '',
    direction: 'minimize',
    sampler: 'tpe',
    pruner: 'none',
    trials: '20',
    parallel: '1',
    dimensions: {}
  };
}

const FIXED: ISearchDimension = {
  mode: 'fixed',
  low: '',
  high: '',
  log: false,
  choices: ''
};

function parseChoice(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A number typed, or the text as typed: the server names what it refuses. */
function numberOr(text: string): number | string {
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

/**
 * The request's `search` for the fieldset's state; null when off. Values are
 * sent as typed: the server checks the space against the parameters' types
 * and names the field it refuses (`search.space.lr.low`).
 */
export function searchRequest(
  state: ISearchFields
): Record<string, unknown> | null {
  if (!state.enabled) {
    return null;
  }
  const space: Record<string, unknown> = {};
  for (const [name, dimension] of Object.entries(state.dimensions)) {
    if (dimension.mode === 'range') {
      space[name] = {
        low: numberOr(dimension.low),
        high: numberOr(dimension.high),
        ...(dimension.log ? { log: true } : {})
      };
    } else if (dimension.mode === 'choices') {
      space[name] = {
        choices: dimension.choices
          .split(',')
          .map(text => text.trim())
          .filter(text => text !== '')
          .map(parseChoice)
      };
    }
  }
  return {
    metric: state.metric.trim(),
    direction: state.direction,
    sampler: state.sampler,
    pruner: state.pruner,
    trials: numberOr(state.trials),
    parallel: numberOr(state.parallel),
    space
  };
}

/**
 * Search hyperparameters instead of running once: per parameter a range (a
 * number's) or choices, the metric to optimize, Optuna's sampler and pruner.
 */
export function SearchFields(props: {
  parameters: ReadonlyArray<IJobParameter>;
  state: ISearchFields;
  setState(change: (current: ISearchFields) => ISearchFields): void;
  error: IFieldError | null;
  idPrefix: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { parameters, state, setState, error, idPrefix, trans } = props;
  const set = (change: Partial<ISearchFields>) =>
    setState(current => ({ ...current, ...change }));
  const setDimension = (name: string, change: Partial<ISearchDimension>) =>
    setState(current => ({
      ...current,
      dimensions: {
        ...current.dimensions,
        [name]: { ...(current.dimensions[name] ?? FIXED), ...change }
      }
    }));
  const id = (suffix: string) => `${idPrefix}-search-${suffix}`;
  return (
    <fieldset className="jp-mlops-job-fieldset jp-mlops-job-search">
      <legend>{trans.__('Search')}</legend>
      <label className="jp-mlops-job-search-toggle">
        <input
          type="checkbox"
          className="jp-mlops-job-search-enabled"
          checked={state.enabled}
          onChange={event => set({ enabled: event.target.checked })}
        />{' '}
        {trans.__(
          'Search hyperparameters with Optuna: each trial runs the notebook once'
        )}
      </label>
      {state.enabled && (
        <>
          <Field
            field="search.metric"
            label={trans.__('Metric')}
            help={trans.__(
              'The MLflow metric the notebook logs; logged by step, the pruner reads it as it goes.'
            )}
            error={error}
            inputId={id('metric')}
          >
            <input
              id={id('metric')}
              className="jp-mod-styled jp-mlops-job-search-metric"
              value={state.metric}
              placeholder={trans.__('val_loss')}
              onChange={event => set({ metric: event.target.value })}
            />
          </Field>
          <Field
            field="search.direction"
            label={trans.__('Direction')}
            error={error}
            inputId={id('direction')}
          >
            <HTMLSelect
              id={id('direction')}
              value={state.direction}
              onChange={event =>
                set({
                  direction: event.currentTarget
                    .value as ISearchFields['direction']
                })
              }
              options={[
                { value: 'minimize', label: trans.__('minimize') },
                { value: 'maximize', label: trans.__('maximize') }
              ]}
            />
          </Field>
          <Field
            field="search.sampler"
            label={trans.__('Sampler')}
            error={error}
            inputId={id('sampler')}
          >
            <HTMLSelect
              id={id('sampler')}
              value={state.sampler}
              onChange={event =>
                set({
                  sampler: event.currentTarget.value as ISearchFields['sampler']
                })
              }
              options={['tpe', 'random', 'grid', 'cmaes']}
            />
          </Field>
          <Field
            field="search.pruner"
            label={trans.__('Pruner')}
            error={error}
            inputId={id('pruner')}
          >
            <HTMLSelect
              id={id('pruner')}
              value={state.pruner}
              onChange={event =>
                set({
                  pruner: event.currentTarget.value as ISearchFields['pruner']
                })
              }
              options={['none', 'median', 'hyperband']}
            />
          </Field>
          <Field
            field="search.trials"
            label={trans.__('Trials')}
            error={error}
            inputId={id('trials')}
          >
            <input
              id={id('trials')}
              type="number"
              min={1}
              className="jp-mod-styled jp-mlops-job-search-trials"
              value={state.trials}
              onChange={event => set({ trials: event.target.value })}
            />
          </Field>
          <Field
            field="search.parallel"
            label={trans.__('At once')}
            error={error}
            inputId={id('parallel')}
          >
            <input
              id={id('parallel')}
              type="number"
              min={1}
              className="jp-mod-styled"
              value={state.parallel}
              onChange={event => set({ parallel: event.target.value })}
            />
          </Field>
          {parameters.map(parameter => {
            const dimension = state.dimensions[parameter.name] ?? FIXED;
            const numeric =
              parameter.type === 'int' || parameter.type === 'float';
            const field = `search.space.${parameter.name}`;
            const failed =
              error?.field === field || error?.field?.startsWith(`${field}.`);
            return (
              <div
                key={parameter.name}
                className="jp-mlops-job-search-dimension"
                data-parameter={parameter.name}
              >
                <Field
                  field={failed ? (error?.field ?? field) : field}
                  label={parameter.name}
                  error={error}
                  inputId={id(`mode-${parameter.name}`)}
                >
                  <HTMLSelect
                    id={id(`mode-${parameter.name}`)}
                    className="jp-mlops-job-search-mode"
                    value={dimension.mode}
                    onChange={event =>
                      setDimension(parameter.name, {
                        mode: event.currentTarget
                          .value as ISearchDimension['mode']
                      })
                    }
                    options={[
                      {
                        value: 'fixed',
                        label: trans.__('fixed (the form value)')
                      },
                      ...(numeric
                        ? [{ value: 'range', label: trans.__('range') }]
                        : []),
                      { value: 'choices', label: trans.__('choices') }
                    ]}
                  />
                  {dimension.mode === 'range' && (
                    <>
                      <input
                        className="jp-mod-styled jp-mlops-job-search-low"
                        aria-label={trans.__('low')}
                        placeholder={trans.__('low')}
                        value={dimension.low}
                        onChange={event =>
                          setDimension(parameter.name, {
                            low: event.target.value
                          })
                        }
                      />
                      <input
                        className="jp-mod-styled jp-mlops-job-search-high"
                        aria-label={trans.__('high')}
                        placeholder={trans.__('high')}
                        value={dimension.high}
                        onChange={event =>
                          setDimension(parameter.name, {
                            high: event.target.value
                          })
                        }
                      />
                      <label>
                        <input
                          type="checkbox"
                          className="jp-mlops-job-search-log"
                          checked={dimension.log}
                          onChange={event =>
                            setDimension(parameter.name, {
                              log: event.target.checked
                            })
                          }
                        />{' '}
                        {trans.__('log')}
                      </label>
                    </>
                  )}
                  {dimension.mode === 'choices' && (
                    <input
                      className="jp-mod-styled jp-mlops-job-search-choices"
                      aria-label={trans.__('choices')}
                      placeholder={trans.__('2, 4, 8')}
                      value={dimension.choices}
                      onChange={event =>
                        setDimension(parameter.name, {
                          choices: event.target.value
                        })
                      }
                    />
                  )}
                </Field>
              </div>
            );
          })}
        </>
      )}
    </fieldset>
  );
}
