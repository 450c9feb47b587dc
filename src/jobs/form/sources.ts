import { KernelSpec, ServerConnection } from '@jupyterlab/services';

import {
  CatchupPolicy,
  getJobParameters,
  getJobSpecSchema,
  IGpu,
  IJsonSchema,
  INotebookParameters,
  listGpus
} from '../../api';
import {
  IJobFormFields,
  initialValue,
  ParameterValue,
  schemaDefault
} from '../formValues';
import { browserTimeZone } from './timeZones';

export interface IKernelOption {
  name: string;
  label: string;
}

/** Everything the form needs from the server before it can show inputs. */
export interface IFormSources {
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

/**
 * The notebook's parameters, and the rest when it can be had: without GPUs,
 * the spec schema or kernel specs the form still works, with fewer fields
 * or hints, so only the parameters failing fails the form.
 */
export async function loadFormSources(
  notebook: string,
  serverSettings: ServerConnection.ISettings,
  kernelspecs: KernelSpec.IManager | null
): Promise<IFormSources> {
  const [info, gpus, schema, kernels] = await Promise.all([
    getJobParameters(notebook, serverSettings),
    listGpus(serverSettings).catch(() => [] as IGpu[]),
    getJobSpecSchema(serverSettings).catch(() => null),
    loadKernels(kernelspecs).catch(() => [] as IKernelOption[])
  ]);
  return { info, gpus, schema, kernels };
}

/** The fields before the server has been heard from. */
export function blankFields(): IJobFormFields {
  return {
    name: '',
    kernel: '',
    experiment: '',
    gpus: '0',
    gpuType: '',
    requirements: '',
    cron: '',
    timezone: browserTimeZone(),
    catchup: 'latest',
    timeout: '3600',
    cellTimeout: '',
    maxAttempts: '1',
    backoff: '30'
  };
}

/** Each parameter's input value at first: its default. */
export function parameterDefaults(
  info: INotebookParameters
): Record<string, ParameterValue> {
  const defaults: Record<string, ParameterValue> = {};
  for (const parameter of info.parameters) {
    defaults[parameter.name] = initialValue(parameter);
  }
  return defaults;
}

/** The fields with the notebook's kernel and the server's defaults. */
export function withServerDefaults(
  current: IJobFormFields,
  { info, schema }: IFormSources
): IJobFormFields {
  return {
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
  };
}
