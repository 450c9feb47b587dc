import * as React from 'react';

import { IGpu } from '../../api';
import { describe, IFieldsetProps, InputField, SelectField } from './Field';
import { IKernelOption } from './sources';

/** What runs the notebook: name, kernel, MLflow experiment and GPUs. */
export function RunFields(
  props: IFieldsetProps & {
    notebook: string;
    kernels: ReadonlyArray<IKernelOption>;
    gpus: ReadonlyArray<IGpu>;
    /** The executor installs pip requirements per job. */
    environments: boolean;
  }
): JSX.Element {
  const { fields, schema, trans, notebook, kernels, gpus, environments } =
    props;
  // The notebook's kernel stays choosable when this server lacks it: the
  // job may run where it is installed.
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
  return (
    <fieldset className="jp-mlops-job-fieldset">
      <legend>{trans.__('Run')}</legend>
      <InputField
        form={props}
        name="name"
        field="name"
        idSuffix="name"
        label={trans.__('Job name')}
        help={describe(schema, 'name')}
        input={{
          placeholder: notebook.replace(/^.*\//, '').replace(/\.ipynb$/, '')
        }}
      />
      <SelectField
        form={props}
        name="kernel"
        field="kernel"
        idSuffix="kernel"
        label={trans.__('Kernel')}
        help={describe(schema, 'kernel')}
        options={kernelOptions.map(kernel => ({
          value: kernel.name,
          label: kernel.label
        }))}
      />
      <InputField
        form={props}
        name="experiment"
        field="experiment"
        idSuffix="experiment"
        label={trans.__('MLflow experiment')}
        help={describe(schema, 'experiment')}
        input={{ placeholder: trans.__('jobs') }}
      />
      {gpus.length > 0 && (
        <InputField
          form={props}
          name="gpus"
          field="resources.gpus"
          idSuffix="gpus"
          label={trans.__('GPUs')}
          help={trans.__('%1 on this machine', gpus.length)}
          input={{ type: 'number', min: 0, max: gpus.length, step: 1 }}
        />
      )}
      {environments && (
        <InputField
          form={props}
          name="requirements"
          field="requirements"
          idSuffix="requirements"
          label={trans.__('pip requirements')}
          help={trans.__(
            'Installed for this job only, e.g. scikit-learn==1.5 xgboost (separate with spaces).'
          )}
          input={{ placeholder: trans.__('none') }}
        />
      )}
      {gpuNames.length > 1 && (
        <SelectField
          form={props}
          name="gpuType"
          field="resources.gpu_type"
          idSuffix="gpu-type"
          label={trans.__('GPU type')}
          help={describe(schema, 'resources.gpu_type')}
          options={[
            { value: '', label: trans.__('any') },
            ...gpuNames.map(name => ({ value: name, label: name }))
          ]}
        />
      )}
    </fieldset>
  );
}
