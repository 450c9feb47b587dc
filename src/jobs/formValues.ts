import {
  CatchupPolicy,
  IJobParameter,
  IJobRequest,
  IJsonSchema,
  JobParameterType
} from '../api';

/** A parameter's input: text for every kind but bool, a checkbox. */
export type ParameterValue = string | boolean;

/** The form's fields other than the notebook's parameters, as typed. */
export interface IJobFormFields {
  name: string;
  kernel: string;
  experiment: string;
  gpus: string;
  gpuType: string;
  /** pip requirements, separated by spaces or new lines (executors with environments). */
  requirements: string;
  cron: string;
  timezone: string;
  catchup: CatchupPolicy;
  timeout: string;
  cellTimeout: string;
  maxAttempts: string;
  backoff: string;
}

/** The input kind for a parameter type. */
export function inputKind(
  type: JobParameterType
): 'integer' | 'number' | 'checkbox' | 'text' | 'json' {
  switch (type) {
    case 'int':
      return 'integer';
    case 'float':
      return 'number';
    case 'bool':
      return 'checkbox';
    case 'str':
      return 'text';
    default:
      return 'json';
  }
}

/** What a parameter's input shows first: its default. */
export function initialValue(parameter: IJobParameter): ParameterValue {
  const value = parameter.default;
  switch (inputKind(parameter.type)) {
    case 'checkbox':
      return value === true;
    case 'integer':
    case 'number':
      return value === null || value === undefined ? '' : String(value);
    case 'text':
      return typeof value === 'string' ? value : '';
    default:
      // With no known type a string default is the source text of an
      // expression (e.g. `np.pi`): shown as written, not as JSON.
      if (parameter.type === null && typeof value === 'string') {
        return value;
      }
      return JSON.stringify(value) ?? '';
  }
}

/** Python's words papermill reads as values (`-p flag True`), JSON's aside. */
const PYTHON_WORDS = new Map<string, unknown>([
  ['True', true],
  ['False', false],
  ['None', null]
]);

/**
 * A changed parameter's value for the request. Numbers, JSON and Python's
 * True/False/None are parsed here when they parse; otherwise the text goes
 * as typed, and the server (which parses strings to the parameter's
 * declared type, and takes an undeclared one's value as sent) either takes
 * it or answers with the field named.
 */
export function parameterValue(
  parameter: IJobParameter,
  value: ParameterValue
): unknown {
  if (typeof value === 'boolean') {
    return value;
  }
  switch (inputKind(parameter.type)) {
    case 'integer':
    case 'number': {
      const number = Number(value);
      return value.trim() !== '' && Number.isFinite(number) ? number : value;
    }
    case 'text':
      return value;
    default:
      if (PYTHON_WORDS.has(value.trim())) {
        return PYTHON_WORDS.get(value.trim());
      }
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
  }
}

/** A number typed in a field, or undefined when left empty. */
function optionalNumber(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  const number = Number(trimmed);
  // Sent as typed when it is no number, so the server names the field.
  return Number.isFinite(number) ? number : trimmed;
}

/**
 * The `POST jobs` body: only the parameters changed from their defaults
 * (papermill keeps the notebook's own for the others), and only the
 * optional fields that were filled in.
 */
export function buildJobRequest(
  notebook: string,
  parameters: ReadonlyArray<IJobParameter>,
  initial: Readonly<Record<string, ParameterValue>>,
  values: Readonly<Record<string, ParameterValue>>,
  fields: IJobFormFields
): IJobRequest {
  const request: IJobRequest = { notebook, parameters: {} };
  for (const parameter of parameters) {
    const value = values[parameter.name];
    if (value !== undefined && value !== initial[parameter.name]) {
      request.parameters![parameter.name] = parameterValue(parameter, value);
    }
  }
  const text = (value: string) => value.trim() || undefined;
  const set = <K extends keyof IJobRequest>(key: K, value: IJobRequest[K]) => {
    if (value !== undefined) {
      request[key] = value;
    }
  };
  set('name', text(fields.name));
  set('kernel', text(fields.kernel));
  set('experiment', text(fields.experiment));
  const gpus = optionalNumber(fields.gpus);
  if (gpus !== undefined && gpus !== 0) {
    request.resources = { gpus: gpus as number };
    if (fields.gpuType) {
      request.resources.gpu_type = fields.gpuType;
    }
  }
  const requirements = fields.requirements.split(/\s+/).filter(Boolean);
  if (requirements.length) {
    request.requirements = requirements;
  }
  set('timeout', optionalNumber(fields.timeout) as number | undefined);
  set('cell_timeout', optionalNumber(fields.cellTimeout) as number | undefined);
  const maxAttempts = optionalNumber(fields.maxAttempts);
  const backoff = optionalNumber(fields.backoff);
  if (maxAttempts !== undefined || backoff !== undefined) {
    request.retry = {};
    if (maxAttempts !== undefined) {
      request.retry.max_attempts = maxAttempts as number;
    }
    if (backoff !== undefined) {
      request.retry.backoff_seconds = backoff as number;
    }
  }
  const cron = fields.cron.trim();
  if (cron) {
    request.schedule = { cron, catchup: fields.catchup };
    if (fields.timezone.trim()) {
      request.schedule.timezone = fields.timezone.trim();
    }
  }
  return request;
}

/** The sub-schema at a dotted path of `properties`, e.g. `retry.max_attempts`. */
export function schemaAt(
  schema: IJsonSchema | null,
  path: string
): IJsonSchema | undefined {
  let node: IJsonSchema | undefined = schema ?? undefined;
  for (const key of path.split('.')) {
    node = node?.properties?.[key];
  }
  return node;
}

/** A schema default as input text ('' when there is none). */
export function schemaDefault(
  schema: IJsonSchema | null,
  path: string,
  fallback = ''
): string {
  const value = schemaAt(schema, path)?.default;
  return value === undefined || value === null ? fallback : String(value);
}
