import { KernelSpec, ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  CatchupPolicy,
  getJobParameters,
  getJobSpecSchema,
  IGpu,
  IJobParameter,
  IJobSubmission,
  IJsonSchema,
  INotebookParameters,
  listGpus,
  MLOpsApiError,
  submitJob
} from '../api';
import { errorMessage, formatTime } from '../format';
import {
  buildJobRequest,
  IJobFormFields,
  initialValue,
  inputKind,
  ParameterValue,
  schemaAt,
  schemaDefault
} from './formValues';

/** A server error, placed at the form field it names (or at the top). */
interface IFieldError {
  field: string | null;
  message: string;
}

interface IKernelOption {
  name: string;
  label: string;
}

/** Everything the form needs from the server before it can show inputs. */
interface IFormSources {
  info: INotebookParameters;
  gpus: IGpu[];
  schema: IJsonSchema | null;
  kernels: IKernelOption[];
}

async function loadKernels(
  kernelspecs: KernelSpec.IManager | null
): Promise<IKernelOption[]> {
  if (!kernelspecs) {
    return [];
  }
  await kernelspecs.ready;
  const specs = kernelspecs.specs?.kernelspecs ?? {};
  return Object.values(specs)
    .filter((spec): spec is KernelSpec.ISpecModel => !!spec)
    .map(spec => ({ name: spec.name, label: spec.display_name || spec.name }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function timeZones(): string[] {
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

/** One labelled input with its help and the server's message for it. */
function Field(props: {
  field: string;
  label: string;
  help?: string;
  error: IFieldError | null;
  inputId: string;
  className?: string;
  children: React.ReactNode;
  dataset?: Record<string, string>;
}): JSX.Element {
  const { field, error } = props;
  const failed = error !== null && error.field === field;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(props.dataset ?? {})) {
    data[`data-${key}`] = value;
  }
  return (
    <div
      className={`jp-mlops-job-field${failed ? ' jp-mlops-job-field-invalid' : ''} ${props.className ?? ''}`}
      data-field={field}
      {...data}
    >
      <label className="jp-mlops-job-label" htmlFor={props.inputId}>
        {props.label}
      </label>
      <div className="jp-mlops-job-input">{props.children}</div>
      {props.help && <div className="jp-mlops-job-help">{props.help}</div>}
      {failed && (
        <div className="jp-mlops-error jp-mlops-job-field-error" role="alert">
          {error.message}
        </div>
      )}
    </div>
  );
}

export interface IJobFormProps {
  /** Server-root-relative path of the notebook to run. */
  notebook: string;
  serverSettings: ServerConnection.ISettings;
  kernelspecs: KernelSpec.IManager | null;
  onSubmitted(submission: IJobSubmission): void;
  trans: TranslationBundle;
}

/**
 * A job form generated from the notebook's `parameters` cell: one input
 * per parameter, typed by its annotation or default and prefilled with
 * the default, then the kernel, GPUs, schedule, timeouts and retries.
 * The server validates; its message shows at the field it names.
 */
export function JobForm(props: IJobFormProps): JSX.Element {
  const { notebook, serverSettings, kernelspecs, trans } = props;
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
  const [fields, setFields] = React.useState<IJobFormFields>({
    name: '',
    kernel: '',
    experiment: '',
    gpus: '0',
    gpuType: '',
    cron: '',
    timezone: browserTimeZone(),
    catchup: 'latest',
    timeout: '3600',
    cellTimeout: '',
    maxAttempts: '1',
    backoff: '30'
  });
  const [error, setError] = React.useState<IFieldError | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [done, setDone] = React.useState<string | null>(null);

  const load = React.useCallback(async () => {
    setLoadError(null);
    setSources(null);
    try {
      const [info, gpus, schema, kernels] = await Promise.all([
        getJobParameters(notebook, serverSettings),
        listGpus(serverSettings).catch(() => [] as IGpu[]),
        getJobSpecSchema(serverSettings).catch(() => null),
        loadKernels(kernelspecs).catch(() => [] as IKernelOption[])
      ]);
      const defaults: Record<string, ParameterValue> = {};
      for (const parameter of info.parameters) {
        defaults[parameter.name] = initialValue(parameter);
      }
      setInitial(defaults);
      setValues(defaults);
      setFields(current => ({
        ...current,
        kernel: info.kernel,
        catchup: schemaDefault(
          schema,
          'schedule.catchup',
          current.catchup
        ) as CatchupPolicy,
        timeout: schemaDefault(schema, 'timeout', current.timeout),
        maxAttempts: schemaDefault(
          schema,
          'retry.max_attempts',
          current.maxAttempts
        ),
        backoff: schemaDefault(schema, 'retry.backoff_seconds', current.backoff)
      }));
      setSources({ info, gpus, schema, kernels });
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

  const { info, gpus, schema, kernels } = sources;
  const describe = (path: string) => schemaAt(schema, path)?.description;
  const setField = <K extends keyof IJobFormFields>(
    key: K,
    value: IJobFormFields[K]
  ) => setFields(current => ({ ...current, [key]: value }));
  const fieldError = error;
  const kernelOptions = kernels.some(k => k.name === fields.kernel)
    ? kernels
    : [
        {
          name: fields.kernel,
          label: trans.__('%1 (not installed here)', fields.kernel)
        },
        ...kernels
      ];
  const gpuNames = [...new Set(gpus.map(gpu => gpu.name))];
  const scheduled = fields.cron.trim() !== '';

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
        fields
      );
      const submission = await submitJob(request, serverSettings);
      setError(null);
      if (submission.definition) {
        const next = submission.definition.next_run_at;
        setDone(
          next !== null
            ? trans.__(
                'Scheduled %1; next run %2.',
                submission.definition.name,
                formatTime(next * 1000)
              )
            : trans.__('Scheduled %1.', submission.definition.name)
        );
      } else if (submission.execution) {
        setDone(trans.__('Queued execution %1.', submission.execution.id));
      }
      props.onSubmitted(submission);
    } catch (reason) {
      setError({
        field: reason instanceof MLOpsApiError ? (reason.field ?? null) : null,
        message: errorMessage(reason)
      });
    } finally {
      setBusy(false);
    }
  };

  const renderedFields = new Set<string>([
    'notebook',
    'name',
    'kernel',
    'experiment',
    'schedule.cron',
    'schedule.timezone',
    'schedule.catchup',
    'timeout',
    'cell_timeout',
    'retry.max_attempts',
    'retry.backoff_seconds',
    ...info.parameters.map(p => `parameters.${p.name}`),
    ...(gpus.length ? ['resources.gpus', 'resources.gpu_type'] : [])
  ]);
  const generalError =
    error !== null && (error.field === null || !renderedFields.has(error.field))
      ? error
      : null;

  const parameterInput = (parameter: IJobParameter, inputId: string) => {
    const value = values[parameter.name];
    const set = (next: ParameterValue) =>
      setValues(current => ({ ...current, [parameter.name]: next }));
    switch (inputKind(parameter.type)) {
      case 'checkbox':
        return (
          <input
            id={inputId}
            type="checkbox"
            checked={value === true}
            onChange={event => set(event.target.checked)}
          />
        );
      case 'integer':
      case 'number':
        return (
          <input
            id={inputId}
            className="jp-mod-styled"
            type="number"
            step={parameter.type === 'int' ? 1 : 'any'}
            value={String(value ?? '')}
            onChange={event => set(event.target.value)}
          />
        );
      case 'text':
        return (
          <input
            id={inputId}
            className="jp-mod-styled"
            type="text"
            value={String(value ?? '')}
            spellCheck={false}
            onChange={event => set(event.target.value)}
          />
        );
      default:
        return (
          <textarea
            id={inputId}
            className="jp-mod-styled jp-mlops-job-json"
            rows={1}
            value={String(value ?? '')}
            spellCheck={false}
            onChange={event => set(event.target.value)}
          />
        );
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

      <fieldset className="jp-mlops-job-fieldset">
        <legend>{trans.__('Parameters')}</legend>
        {info.parameters.length === 0 && (
          <p className="jp-mlops-muted">
            {trans.__('The parameters cell sets no variables.')}
          </p>
        )}
        {info.parameters.map(parameter => {
          const inputId = `${idPrefix}-param-${parameter.name}`;
          return (
            <Field
              key={parameter.name}
              field={`parameters.${parameter.name}`}
              label={
                parameter.type
                  ? trans.__('%1 (%2)', parameter.name, parameter.type)
                  : parameter.name
              }
              help={parameter.help}
              error={fieldError}
              inputId={inputId}
              className="jp-mlops-job-param"
              dataset={{
                param: parameter.name,
                type: parameter.type ?? 'unknown'
              }}
            >
              {parameterInput(parameter, inputId)}
            </Field>
          );
        })}
      </fieldset>

      <fieldset className="jp-mlops-job-fieldset">
        <legend>{trans.__('Run')}</legend>
        <Field
          field="name"
          label={trans.__('Job name')}
          help={describe('name')}
          error={fieldError}
          inputId={`${idPrefix}-name`}
        >
          <input
            id={`${idPrefix}-name`}
            className="jp-mod-styled"
            value={fields.name}
            placeholder={info.notebook
              .replace(/^.*\//, '')
              .replace(/\.ipynb$/, '')}
            onChange={event => setField('name', event.target.value)}
          />
        </Field>
        <Field
          field="kernel"
          label={trans.__('Kernel')}
          help={describe('kernel')}
          error={fieldError}
          inputId={`${idPrefix}-kernel`}
        >
          <HTMLSelect
            id={`${idPrefix}-kernel`}
            value={fields.kernel}
            onChange={event => setField('kernel', event.currentTarget.value)}
            options={kernelOptions.map(kernel => ({
              value: kernel.name,
              label: kernel.label
            }))}
          />
        </Field>
        <Field
          field="experiment"
          label={trans.__('MLflow experiment')}
          help={describe('experiment')}
          error={fieldError}
          inputId={`${idPrefix}-experiment`}
        >
          <input
            id={`${idPrefix}-experiment`}
            className="jp-mod-styled"
            value={fields.experiment}
            placeholder={trans.__('jobs')}
            onChange={event => setField('experiment', event.target.value)}
          />
        </Field>
        {gpus.length > 0 && (
          <Field
            field="resources.gpus"
            label={trans.__('GPUs')}
            help={trans.__('%1 on this machine', gpus.length)}
            error={fieldError}
            inputId={`${idPrefix}-gpus`}
          >
            <input
              id={`${idPrefix}-gpus`}
              className="jp-mod-styled"
              type="number"
              min={0}
              max={gpus.length}
              step={1}
              value={fields.gpus}
              onChange={event => setField('gpus', event.target.value)}
            />
          </Field>
        )}
        {gpuNames.length > 1 && (
          <Field
            field="resources.gpu_type"
            label={trans.__('GPU type')}
            help={describe('resources.gpu_type')}
            error={fieldError}
            inputId={`${idPrefix}-gpu-type`}
          >
            <HTMLSelect
              id={`${idPrefix}-gpu-type`}
              value={fields.gpuType}
              onChange={event => setField('gpuType', event.currentTarget.value)}
              options={[
                { value: '', label: trans.__('any') },
                ...gpuNames.map(name => ({ value: name, label: name }))
              ]}
            />
          </Field>
        )}
      </fieldset>

      <fieldset className="jp-mlops-job-fieldset">
        <legend>{trans.__('Schedule')}</legend>
        <Field
          field="schedule.cron"
          label={trans.__('Cron')}
          help={trans.__(
            'Five fields: minute hour day month weekday. Leave empty to run now.'
          )}
          error={fieldError}
          inputId={`${idPrefix}-cron`}
        >
          <input
            id={`${idPrefix}-cron`}
            className="jp-mod-styled jp-mlops-job-cron-input"
            value={fields.cron}
            placeholder={trans.__('e.g. %1', '0 3 * * *')}
            spellCheck={false}
            onChange={event => setField('cron', event.target.value)}
          />
        </Field>
        <Field
          field="schedule.timezone"
          label={trans.__('Time zone')}
          error={fieldError}
          inputId={`${idPrefix}-timezone`}
        >
          <input
            id={`${idPrefix}-timezone`}
            className="jp-mod-styled"
            value={fields.timezone}
            disabled={!scheduled}
            list={`${idPrefix}-timezones`}
            onChange={event => setField('timezone', event.target.value)}
          />
          <datalist id={`${idPrefix}-timezones`}>
            {timeZones().map(zone => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </Field>
        <Field
          field="schedule.catchup"
          label={trans.__('Missed runs')}
          help={describe('schedule.catchup')}
          error={fieldError}
          inputId={`${idPrefix}-catchup`}
        >
          <HTMLSelect
            id={`${idPrefix}-catchup`}
            value={fields.catchup}
            disabled={!scheduled}
            onChange={event =>
              setField('catchup', event.currentTarget.value as CatchupPolicy)
            }
            options={[
              { value: 'latest', label: trans.__('Run the latest one once') },
              { value: 'none', label: trans.__('Skip them') },
              { value: 'all', label: trans.__('Run every one') }
            ]}
          />
        </Field>
      </fieldset>

      <fieldset className="jp-mlops-job-fieldset">
        <legend>{trans.__('Limits and retries')}</legend>
        <Field
          field="timeout"
          label={trans.__('Timeout (seconds)')}
          help={describe('timeout')}
          error={fieldError}
          inputId={`${idPrefix}-timeout`}
        >
          <input
            id={`${idPrefix}-timeout`}
            className="jp-mod-styled"
            type="number"
            min={1}
            value={fields.timeout}
            onChange={event => setField('timeout', event.target.value)}
          />
        </Field>
        <Field
          field="cell_timeout"
          label={trans.__('Cell timeout (seconds)')}
          help={describe('cell_timeout')}
          error={fieldError}
          inputId={`${idPrefix}-cell-timeout`}
        >
          <input
            id={`${idPrefix}-cell-timeout`}
            className="jp-mod-styled"
            type="number"
            min={1}
            value={fields.cellTimeout}
            placeholder={trans.__('none')}
            onChange={event => setField('cellTimeout', event.target.value)}
          />
        </Field>
        <Field
          field="retry.max_attempts"
          label={trans.__('Attempts')}
          help={trans.__('1 runs once; more retry a failed run.')}
          error={fieldError}
          inputId={`${idPrefix}-attempts`}
        >
          <input
            id={`${idPrefix}-attempts`}
            className="jp-mod-styled"
            type="number"
            min={1}
            max={schemaAt(schema, 'retry.max_attempts')?.maximum}
            step={1}
            value={fields.maxAttempts}
            onChange={event => setField('maxAttempts', event.target.value)}
          />
        </Field>
        <Field
          field="retry.backoff_seconds"
          label={trans.__('Backoff (seconds)')}
          help={trans.__('Wait before each retry.')}
          error={fieldError}
          inputId={`${idPrefix}-backoff`}
        >
          <input
            id={`${idPrefix}-backoff`}
            className="jp-mod-styled"
            type="number"
            min={0}
            value={fields.backoff}
            onChange={event => setField('backoff', event.target.value)}
          />
        </Field>
      </fieldset>

      <div className="jp-mlops-job-form-actions">
        <Button type="submit" className="jp-mlops-job-submit" disabled={busy}>
          {scheduled ? trans.__('Schedule') : trans.__('Run now')}
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
    const { trans } = _options;
    this.title.label = trans.__('Job: %1', this.notebook.replace(/^.*\//, ''));
    this.title.caption = trans.__('Training job for %1', this.notebook);
  }

  readonly notebook: string;

  protected render(): JSX.Element {
    const { serverSettings, kernelspecs, onSubmitted, trans } = this._options;
    return (
      <JobForm
        notebook={this.notebook}
        serverSettings={serverSettings}
        kernelspecs={kernelspecs}
        onSubmitted={onSubmitted}
        trans={trans}
      />
    );
  }
}

export namespace JobFormView {
  export interface IOptions extends Omit<IJobFormProps, 'notebook'> {
    notebook: string;
  }
}
