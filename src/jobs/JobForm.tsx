import { KernelSpec, ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IExecutorFeatures, IJobSubmission, submitJob } from '../api';
import { errorMessage, formatTime } from '../format';
import { StatusModel } from '../status';
import { IFieldError, toFieldError, unplacedError } from './form/errors';
import { IFieldsetProps } from './form/Field';
import { LimitsFields } from './form/LimitsFields';
import { ParameterFields } from './form/ParameterFields';
import { RunFields } from './form/RunFields';
import { ScheduleFields } from './form/ScheduleFields';
import {
  emptySearch,
  ISearchFields,
  SearchFields,
  searchRequest
} from './form/SearchFields';
import {
  blankFields,
  IFormSources,
  loadFormSources,
  parameterDefaults,
  withServerDefaults
} from './form/sources';
import { buildJobRequest, IJobFormFields, ParameterValue } from './formValues';

export interface IJobFormProps {
  /** Server-root-relative path of the notebook to run. */
  notebook: string;
  serverSettings: ServerConnection.ISettings;
  kernelspecs: KernelSpec.IManager | null;
  /** What the job executor can do: without GPUs, no GPU fields. */
  features: Readonly<IExecutorFeatures>;
  onSubmitted(submission: IJobSubmission): void;
  trans: TranslationBundle;
}

/** The line saying what a submission made: a schedule or a queued run. */
function submittedMessage(
  submission: IJobSubmission,
  trans: TranslationBundle
): string | null {
  if (submission.definition) {
    const next = submission.definition.next_run_at;
    return next !== null
      ? trans.__(
          'Scheduled %1; next run %2.',
          submission.definition.name,
          formatTime(next * 1000)
        )
      : trans.__('Scheduled %1.', submission.definition.name);
  }
  if (submission.execution) {
    return trans.__('Queued execution %1.', submission.execution.id);
  }
  if (submission.search) {
    return trans.__(
      'Started search %1: its trials show under Searches in the Jobs section.',
      submission.search.id
    );
  }
  return null;
}

/**
 * A job form generated from the notebook's `parameters` cell: one input
 * per parameter, typed by its annotation or default and prefilled with
 * the default, then the kernel, GPUs, schedule, timeouts and retries.
 * The server validates; its message shows at the field it names.
 */
export function JobForm(props: IJobFormProps): JSX.Element {
  const { notebook, serverSettings, kernelspecs, features, trans } = props;
  const idPrefix = `jp-mlops-job-${React.useId().replace(/[^a-zA-Z0-9-]/g, '')}`;
  const formRef = React.useRef<HTMLFormElement>(null);
  const [sources, setSources] = React.useState<IFormSources | null>(null);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [initial, setInitial] = React.useState<Record<string, ParameterValue>>(
    {}
  );
  const [values, setValues] = React.useState<Record<string, ParameterValue>>(
    {}
  );
  const [fields, setFields] = React.useState<IJobFormFields>(blankFields);
  const [error, setError] = React.useState<IFieldError | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [done, setDone] = React.useState<string | null>(null);
  const [searchState, setSearchState] =
    React.useState<ISearchFields>(emptySearch);

  const load = React.useCallback(async () => {
    setLoadError(null);
    setSources(null);
    try {
      const loaded = await loadFormSources(
        notebook,
        serverSettings,
        kernelspecs
      );
      const defaults = parameterDefaults(loaded.info);
      setInitial(defaults);
      setValues(defaults);
      setFields(current => withServerDefaults(current, loaded));
      setSources(loaded);
    } catch (reason) {
      setLoadError(errorMessage(reason));
    }
  }, [notebook, serverSettings, kernelspecs]);

  React.useEffect(() => {
    void load();
  }, [load]);

  // Bring the field the server refused into view, with its input focused.
  React.useEffect(() => {
    if (!error?.field || !formRef.current) {
      return;
    }
    const node = formRef.current.querySelector(
      `[data-field="${CSS.escape(error.field)}"]`
    );
    node?.scrollIntoView?.({ block: 'nearest' });
    node?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [error]);

  if (loadError !== null) {
    return (
      <div className="jp-mlops-job-form" data-notebook={notebook}>
        <h2 className="jp-mlops-job-form-title">
          {trans.__('Training job for %1', notebook)}
        </h2>
        <div
          className="jp-mlops-error jp-mlops-job-form-error"
          data-field="notebook"
          role="alert"
        >
          {loadError}
        </div>
        <Button small onClick={() => void load()}>
          {trans.__('Try again')}
        </Button>
      </div>
    );
  }
  if (sources === null) {
    return (
      <div className="jp-mlops-job-form jp-mlops-muted">
        {trans.__('Reading the parameters of %1…', notebook)}
      </div>
    );
  }

  const { info, schema, kernels } = sources;
  // An executor without GPUs cannot give a job any (the server refuses
  // `resources.gpus`): the host's inventory is then beside the point.
  const gpus = features.gpus ? sources.gpus : [];
  const scheduled = fields.cron.trim() !== '';
  const fieldsetProps: IFieldsetProps = {
    fields,
    setField: (key, value) =>
      setFields(current => ({ ...current, [key]: value })),
    schema,
    error,
    idPrefix,
    trans
  };
  const generalError = unplacedError(error, info.parameters, gpus);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setDone(null);
    try {
      const request = buildJobRequest(
        info.notebook,
        info.parameters,
        initial,
        values,
        // Values typed before the status said the executor cannot take them
        // (no GPUs, no per-job environments) are not sent.
        {
          ...fields,
          ...(features.gpus ? {} : { gpus: '', gpuType: '' }),
          ...(features.environments ? {} : { requirements: '' })
        }
      );
      const search = searchRequest(searchState);
      if (search !== null) {
        // Values go as typed: the server checks the space and names what it refuses.
        request.search = search as unknown as typeof request.search;
      }
      const submission = await submitJob(request, serverSettings);
      setError(null);
      const message = submittedMessage(submission, trans);
      if (message !== null) {
        setDone(message);
      }
      props.onSubmitted(submission);
    } catch (reason) {
      setError(toFieldError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="jp-mlops-job-form"
      data-notebook={info.notebook}
      // The server checks every value and says which one is wrong.
      noValidate
      onSubmit={submit}
    >
      <h2 className="jp-mlops-job-form-title">
        {trans.__('Training job for %1', info.notebook)}
      </h2>
      <ParameterFields
        parameters={info.parameters}
        values={values}
        setValue={(name, value) =>
          setValues(current => ({ ...current, [name]: value }))
        }
        error={error}
        idPrefix={idPrefix}
        trans={trans}
      />
      <SearchFields
        parameters={info.parameters}
        state={searchState}
        setState={setSearchState}
        error={error}
        idPrefix={idPrefix}
        trans={trans}
      />
      <RunFields
        {...fieldsetProps}
        notebook={info.notebook}
        kernels={kernels}
        gpus={gpus}
        environments={features.environments}
      />
      <ScheduleFields {...fieldsetProps} />
      <LimitsFields {...fieldsetProps} />
      <div className="jp-mlops-job-form-actions">
        <Button type="submit" className="jp-mlops-job-submit" disabled={busy}>
          {searchState.enabled
            ? trans.__('Start search')
            : scheduled
              ? trans.__('Schedule')
              : trans.__('Run now')}
        </Button>
        {busy && (
          <span className="jp-mlops-muted">{trans.__('Submitting…')}</span>
        )}
      </div>
      {generalError !== null && (
        <div
          className="jp-mlops-error jp-mlops-job-form-error"
          data-field={generalError.field ?? undefined}
          role="alert"
        >
          {generalError.message}
        </div>
      )}
      {done !== null && (
        <div className="jp-mlops-success jp-mlops-job-form-done" role="status">
          {done}
        </div>
      )}
    </form>
  );
}

/** The main-area body of a job form; the MainAreaWidget around it has the id. */
export class JobFormView extends ReactWidget {
  constructor(private _options: JobFormView.IOptions) {
    super();
    this.notebook = _options.notebook;
    this.addClass('jp-mlops-job-form-body');
    const { trans, status } = _options;
    this.title.label = trans.__('Job: %1', this.notebook.replace(/^.*\//, ''));
    this.title.caption = trans.__('Training job for %1', this.notebook);
    // A form opened before the first status answer shows every field.
    status.featuresChanged.connect(this.update, this);
  }

  readonly notebook: string;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.status.featuresChanged.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    const { serverSettings, kernelspecs, status, onSubmitted, trans } =
      this._options;
    return (
      <JobForm
        notebook={this.notebook}
        serverSettings={serverSettings}
        kernelspecs={kernelspecs}
        features={status.features}
        onSubmitted={onSubmitted}
        trans={trans}
      />
    );
  }
}

export namespace JobFormView {
  export interface IOptions extends Omit<
    IJobFormProps,
    'notebook' | 'features'
  > {
    notebook: string;
    /** The sidebar's status: the executor's features come from it. */
    status: StatusModel;
  }
}
