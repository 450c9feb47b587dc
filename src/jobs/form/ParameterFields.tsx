import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IJobParameter } from '../../api';
import { inputKind, ParameterValue } from '../formValues';
import { IFieldError } from './errors';
import { Field } from './Field';

/** A parameter's input, chosen by its type; untyped ones take JSON. */
function ParameterInput(props: {
  parameter: IJobParameter;
  inputId: string;
  value: ParameterValue | undefined;
  onChange(value: ParameterValue): void;
}): JSX.Element {
  const { parameter, inputId, value, onChange } = props;
  switch (inputKind(parameter.type)) {
    case 'checkbox':
      return (
        <input
          id={inputId}
          type="checkbox"
          checked={value === true}
          onChange={event => onChange(event.target.checked)}
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
          onChange={event => onChange(event.target.value)}
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
          onChange={event => onChange(event.target.value)}
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
          onChange={event => onChange(event.target.value)}
        />
      );
  }
}

/** The notebook's parameters, one input each, prefilled with the default. */
export function ParameterFields(props: {
  parameters: ReadonlyArray<IJobParameter>;
  values: Readonly<Record<string, ParameterValue>>;
  setValue(name: string, value: ParameterValue): void;
  error: IFieldError | null;
  idPrefix: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { parameters, values, setValue, error, idPrefix, trans } = props;
  return (
    <fieldset className="jp-mlops-job-fieldset">
      <legend>{trans.__('Parameters')}</legend>
      {parameters.length === 0 && (
        <p className="jp-mlops-muted">
          {trans.__('The parameters cell sets no variables.')}
        </p>
      )}
      {parameters.map(parameter => {
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
            error={error}
            inputId={inputId}
            className="jp-mlops-job-param"
            dataset={{
              param: parameter.name,
              type: parameter.type ?? 'unknown'
            }}
          >
            <ParameterInput
              parameter={parameter}
              inputId={inputId}
              value={values[parameter.name]}
              onChange={value => setValue(parameter.name, value)}
            />
          </Field>
        );
      })}
    </fieldset>
  );
}
